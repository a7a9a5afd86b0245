"""SWE-lite and shell_fs: repair tasks made from single-site bugs, and file-system tasks, run in the code sandbox.

  mutate.py     single-site mutants of a program (ast only, nothing run)
  testrun.py    one program file against a code task's tests in the sandbox, test by test
  instances.py  HumanEval+ / MBPP tasks -> kept bugs with fail-to-pass and pass-to-pass tests, and drops with reasons
  build.py      the instance set written as task records (EnvironmentSpec for swe_lite), drops counted
  swe_lite.py   the environment: the repaired file is the action; check gives fail_to_pass and pass_to_pass
  shell_fs.py   the environment: shell commands on a tree, run only in the sandbox (shell_job.py); file predicates
  sandboxed.py  their shared base: the lent or process-shared sandbox, the tools as written for a policy
"""
