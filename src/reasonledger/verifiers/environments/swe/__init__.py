"""SWE-lite and shell_fs: repair tasks made from single-site bugs, and file-system tasks, run in the code sandbox."""
