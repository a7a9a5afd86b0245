"""Reward functions for verl, TRL and OpenRLHF, each called the way that trainer calls it.

Every reward is the record's own verifier (name, config and full reference, as the exporters wrote
them) judging the completion, so a reward means what the release card says the verifier checks.
The verifiers read the final answer through `reasonledger.verifiers.answers`: bare, in
<answer></answer> tags, after "the answer is", in \\boxed{} or after #### all earn the same reward.

verl (`custom_reward_function.path=<this file>`; verl loads it with
`importlib.util.spec_from_file_location`, verl/trainer/ppo/reward.py `get_custom_reward_fn`, and
merges `custom_reward_function.reward_kwargs` into every call):
- `compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs)`, the call of
  verl's NaiveRewardManager (verl/workers/reward_manager/naive.py); extra keyword arguments that
  verl's reward loop passes are accepted and ignored. With `return_dict=True` (set it as
  `+custom_reward_function.reward_kwargs.return_dict=true`) it returns a dict for verl's logs:
  `score`, `acc` (passed), `pred` (the extracted answer, which verl's validation uses for maj@N),
  `rule` (the extraction rule that fired) and `verifier` (`id@version`).
- `compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos, **kwargs)`, the
  call of verl's BatchRewardManager (verl/workers/reward_manager/batch.py,
  `reward_model.reward_manager=batch`): the same scores, judged with each verifier's `verify_many`
  (or its `judge_many`, which skips building verdicts, and `score_many`, which also skips the
  evidence when only scores are asked for). A batch of `reasonledger.reward_workers.MIN_JOBS` distinct
  jobs or more is spread over worker processes, one per core this process may use (at most 8; set
  `reward_workers=` or $REASONLEDGER_REWARD_WORKERS, 0 or 1 to keep it in this process), started on
  the first such batch and kept, each locked down before it judges anything; the scores and dicts are
  the same, in order, and a worker that dies raises `RewardWorkerError`. TRL's and OpenRLHF's rewards
  below spread their batches the same way.

TRL (`GRPOTrainer(reward_funcs=trl_reward_funcs(), train_dataset=<trl_grpo export>)`): TRL calls
`reward_func(prompts=..., completions=..., completion_ids=..., **columns)` with every dataset column
but `prompt` as a list (trl/trainer/grpo_trainer.py `_calculate_rewards`).

OpenRLHF (`--reward.remote_url <this file>`, older releases `--remote_rm_url`; OpenRLHF loads it with
`spec_from_file_location("reward_func", path)`, openrlhf/utils/remote_rm_utils.py): `reward_func(queries,
prompts, labels, **kwargs)`, where a query is the decoded prompt + response and the label is the
`--data.label_key` column, which the openrlhf export fills with the verifier, its config and the
reference as one JSON string. Returns {"rewards", "scores", "extra_logs"} as torch tensors (lists
when torch is not installed).

A model judge (the judgment family: `judge`, `rubric`, `pairwise`) gives rewards only when its card,
listed in $REASONLEDGER_JUDGE_CARDS, says it is safe as an RL reward (`reasonledger audit
--judge-probes` writes the cards); otherwise the call raises `JudgeRefused`, unless
$REASONLEDGER_JUDGE_OVERRIDE gives a reason, which is recorded (verifiers/judgment/safety.py).

Agent rows (verifier `environment`: the `verl_tools` and `trl_grpo` exports of episodes)
are rewarded by replaying the completion's tool calls against the row's environment spec: a TRL
completion's messages, or verl's decoded text with Hermes-style `<tool_call>` / `<tool_response>` tags
(`reasonledger.formats.completions`); calls the completion proposes but nobody answered are applied.
The reward is the episode verdict's: 1 when every component of the spec's reward basis passed.

This file is loaded by path as well as imported, so it uses absolute imports only.
"""

from __future__ import annotations

import json
import math
import re
import threading
from typing import Any, NamedTuple

from reasonledger import reward_workers as _workers
from reasonledger.verifiers.pool import VerifierPool
from reasonledger.formats.completions import episode_response
from reasonledger.formats.exporters.rl import parse_openrlhf_label
from reasonledger.records.model import canonical_json
from reasonledger.verifiers import Verifier

# what trainers leave at the end of a decoded response: end-of-turn and padding tokens
_END_TOKENS = re.compile(r"(?:\s*(?:<\|[^<>|]{1,40}\|>|<｜[^<>｜]{1,40}｜>|</s>|<eos>|<end_of_turn>|<pad>))+\s*$")


_POOL: list[VerifierPool] = []  # made on first use: it reads the operator's config
_POOL_LOCK = threading.Lock()


def _verifier(name: str, config_json: str) -> Verifier:
    """The row's verifier from the same bounded pool the build uses: its config may tighten the
    operator's limits, never raise them, and at most `VerifierPool.MAX_OPEN` keep processes open."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(VerifierPool(None, {}, None))
        verifier = _POOL[0].get(name, json.loads(config_json or "{}"))
    if verifier.family == "judgment":  # a model judge rewards only with a card saying it is safe, or a recorded override
        from reasonledger.verifiers.judgment.safety import allow_as_reward

        try:
            allow_as_reward(verifier)
        except Exception:
            _ran(verifier)
            raise
    return verifier


def _ran(verifier: Verifier) -> None:
    with _POOL_LOCK:
        _POOL[0].release(verifier)


def _infer_verifier(data_source: str) -> tuple[str, str]:
    """For rows exported elsewhere, (verifier, config JSON): math for math sets, reasoning-gym for its
    tasks (the task named by the source's last part, `reasoning-gym/chain_sum`), exact otherwise."""
    source = str(data_source).lower()
    if "reasoning-gym" in source or "reasoning_gym" in source:
        return "reasoning_gym", json.dumps({"dataset": str(data_source).rsplit("/", 1)[-1]})
    if any(name in source for name in ("gsm8k", "math", "aime", "amc")):
        return "math", "{}"
    return "exact", "{}"


def _strip_end_tokens(text: Any) -> str:
    text = "" if text is None else str(text)
    return _END_TOKENS.sub("", text) if text.rstrip().endswith(">") else text  # every token ends with ">"


# ------------------------------------------------------------------------------------------ judging
# A job is (verifier name, config JSON, reference JSON, response): hashable, so a batch judges each
# distinct job once (a GRPO group often repeats a completion).


class _Judged(NamedTuple):
    """What a reward reads of a verdict; verifiers with `judge_many` give it without building verdicts."""

    score: float
    passed: bool
    evidence: dict[str, Any]
    verifier: str  # id@version


def _judge_group(verifier: Verifier, pairs: list[tuple[Any, str]], answers: dict[str, Any],
                 score_only: bool) -> list[_Judged] | list[float]:
    shared = answers.setdefault(verifier.id, {})
    if score_only and hasattr(verifier, "score_many"):
        scores = [float(s) for s in verifier.score_many(pairs, answers=shared)]
        if all(map(math.isfinite, scores)):
            return scores
    elif hasattr(verifier, "judge_many"):
        stamp = f"{verifier.id}@{verifier.version}"
        judged = [_Judged(float(score), bool(passed), evidence, stamp)
                  for passed, score, evidence in verifier.judge_many(pairs, answers=shared)]
        if all(math.isfinite(j.score) for j in judged):
            return [j.score for j in judged] if score_only else judged
    # else (or a non-finite score, which a verdict refuses, as it always did) its verdicts
    verdicts = verifier.verify_many(pairs)
    if score_only:
        return [float(v.score) for v in verdicts]
    return [_Judged(float(v.score), bool(v.passed), v.evidence or {}, f"{v.verifier}@{v.version}") for v in verdicts]


def _judge_many(jobs: list[tuple[str, str, str, str]], score_only: bool = False) -> list[Any]:
    """One judgement (a float with `score_only`) per job, in order; each verifier's distinct jobs judged
    in one call."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for name, config, reference, response in dict.fromkeys(jobs):
        groups.setdefault((name, config), []).append((reference, response))
    judged: dict[tuple[str, str, str, str], Any] = {}
    references: dict[str, Any] = {}  # each distinct reference parsed once: one object per task
    answers: dict[str, Any] = {}  # verifier id -> response -> its reading: each distinct response read once a verifier
    for (name, config), pairs in groups.items():
        parsed = [(references[ref] if ref in references else references.setdefault(ref, json.loads(ref)), resp)
                  for ref, resp in pairs]
        verifier = _verifier(name, config)
        results = _judge_group(verifier, parsed, answers, score_only)
        _ran(verifier)
        judged.update(zip([(name, config, ref, resp) for ref, resp in pairs], results))
    return [judged[job] for job in jobs]


def _judge_chunk(jobs: list[tuple[str, str, str, str]], score_only: bool) -> list[Any]:
    """`_judge_many` in a reward worker: floats, or judgements as plain tuples for the pipe."""
    return [r if score_only else tuple(r) for r in _judge_many(jobs, score_only)]


def _lane_job(job: tuple[str, str, str, str]) -> bool:
    """Whether a worker may judge this job: a verifier needing neither network nor namespaces, and no
    model-judge fallback in its config."""
    return job[0] in _workers.LANE_VERIFIERS and "fallback" not in json.loads(job[1] or "{}")


def _judge_spread(jobs: list[tuple[str, str, str, str]], score_only: bool = False,
                  workers: int | None = None) -> list[Any]:
    """`_judge_many`'s results, with a large batch's distinct jobs spread over the reward workers
    (`reasonledger.reward_workers`: how many, when, and how they are locked down); the rest here."""
    count = _workers.worker_count(workers)
    if count < 2 or len(jobs) < _workers.MIN_JOBS:
        return _judge_many(jobs, score_only)
    lanes: dict[tuple[str, str], bool] = {}  # (verifier, config JSON) -> may go to a worker
    distinct = list(dict.fromkeys(jobs))
    for job in distinct:
        if job[:2] not in lanes:
            lanes[job[:2]] = _lane_job(job)
    sent = [j for j in distinct if lanes[j[:2]]]
    results = _workers.spread("reasonledger.rewards:_judge_chunk", sent, (score_only,), count)
    if results is None:
        return _judge_many(jobs, score_only)
    judged = dict(zip(sent, results if score_only else [_Judged(*r) for r in results]))
    rest = [j for j in distinct if j not in judged]
    judged.update(zip(rest, _judge_many(rest, score_only)))
    return [judged[job] for job in jobs]


def _details(verdict: _Judged) -> dict[str, Any]:
    """The verdict as verl's reward_extra_info: every key on every row, strings never None."""
    extracted = verdict.evidence.get("extracted")
    return {"score": verdict.score, "acc": verdict.passed,
            "pred": "" if extracted is None else str(extracted), "rule": str(verdict.evidence.get("rule") or ""),
            "verifier": verdict.verifier}


# ------------------------------------------------------------------------------------------ verl


# what a completion's replay relaxes unless the row says otherwise: its calls nobody answered are
# applied, and its tool replies are compared up to whitespace, which the chat template may change
_COMPLETION_REPLAY = {"unanswered": "run", "observations": "lenient",
                      "lenient_reason": "tool replies in a completion passed through the chat template"}


def _episode_job(name: str, config: str, reference: str, completion: Any) -> tuple[str, str, str, str]:
    """An environment row's job: the completion as a conversation, replayed as _COMPLETION_REPLAY says."""
    return name, canonical_json({**_COMPLETION_REPLAY, **json.loads(config or "{}")}), reference, \
        episode_response(completion)


def _verl_job(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any) -> tuple[str, str, str, str]:
    info = extra_info if isinstance(extra_info, dict) else {}
    response = _strip_end_tokens(solution_str)
    if info.get("verifier") == "environment":
        return _episode_job("environment", info.get("verifier_config_json") or "{}",
                            info.get("reference_json") or canonical_json(ground_truth), response)
    if info.get("verifier"):
        reference = info.get("reference_json") or canonical_json(ground_truth)
        return info["verifier"], info.get("verifier_config_json") or "{}", reference, response
    name, config = _infer_verifier(data_source)
    return name, config, canonical_json(ground_truth), response


def compute_score(data_source: str, solution_str: str, ground_truth: str, extra_info: dict[str, Any] | None = None,
                  return_dict: bool = False, **kwargs: Any) -> float | dict[str, Any]:
    """verl's custom reward (NaiveRewardManager's call); other keyword arguments are ignored."""
    (verdict,) = _judge_many([_verl_job(data_source, solution_str, ground_truth, extra_info)])
    return _details(verdict) if return_dict else float(verdict.score)


def compute_score_batch(data_sources: Any, solution_strs: Any, ground_truths: Any, extra_infos: Any = None,
                        return_dict: bool = False, reward_workers: int | None = None,
                        **kwargs: Any) -> list[float] | list[dict[str, Any]]:
    """verl's BatchRewardManager call: the scores `compute_score` gives, row by row, judged in one pass;
    a large batch over `reward_workers` processes (default $REASONLEDGER_REWARD_WORKERS, else the cores
    this process may use; 0 or 1: this process only)."""
    infos = [None] * len(solution_strs) if extra_infos is None else list(extra_infos)
    if not len(data_sources) == len(solution_strs) == len(ground_truths) == len(infos):
        raise ValueError(f"compute_score_batch: {len(data_sources)} data_sources, {len(solution_strs)} solution_strs, "
                         f"{len(ground_truths)} ground_truths and {len(infos)} extra_infos: they must be one per row")
    jobs = [_verl_job(*row) for row in zip(data_sources, solution_strs, ground_truths, infos)]
    if return_dict:
        return [_details(v) for v in _judge_spread(jobs, False, reward_workers)]
    return _judge_spread(jobs, True, reward_workers)


# ------------------------------------------------------------------------------------------ TRL


def _completion_text(completion: Any) -> str:
    """TRL passes plain strings for text prompts and message lists for chat prompts."""
    if isinstance(completion, list):
        return "".join(m.get("content") or "" for m in completion if isinstance(m, dict))
    return str(completion)


def trl_reward_funcs() -> list[Any]:
    """`GRPOTrainer(reward_funcs=trl_reward_funcs(), ...)` on a `trl_grpo` export."""
    def reasonledger_reward(prompts: list[Any], completions: list[Any], reference: list[str],
                            verifier: list[str], verifier_config: list[str], **_: Any) -> list[float]:
        jobs = [_episode_job(name, config, ref, c) if name == "environment"
                else (name, config or "{}", ref, _strip_end_tokens(_completion_text(c)))
                for c, ref, name, config in zip(completions, reference, verifier, verifier_config)]
        return _judge_spread(jobs, True)

    return [reasonledger_reward]


# ------------------------------------------------------------------------------------------ OpenRLHF


def _response_of(query: str, prompt: str) -> str:
    """The response part of an OpenRLHF query (prompt + response, decoded with special tokens)."""
    query, prompt = str(query), str(prompt or "")
    if prompt and query.startswith(prompt):
        return query[len(prompt):]
    tail = prompt[-200:]
    at = query.rfind(tail) if tail else -1
    return query[at + len(tail):] if at >= 0 else query


def reward_func(queries: list[str], prompts: list[str], labels: list[str], **kwargs: Any) -> dict[str, Any]:
    """OpenRLHF's custom reward: {"rewards", "scores", "extra_logs"}, one value per query."""
    jobs = []
    for query, prompt, label in zip(queries, prompts, labels):
        parsed = parse_openrlhf_label(label)
        jobs.append((parsed["verifier"], canonical_json(parsed.get("config") or {}), canonical_json(parsed["reference"]),
                     _strip_end_tokens(_response_of(query, prompt))))
    verdicts = _judge_spread(jobs)
    rewards = [float(v.score) for v in verdicts]
    passed = [float(v.passed) for v in verdicts]
    found = [float(v.evidence.get("extracted") is not None) for v in verdicts]
    try:
        import torch
    except ImportError:
        return {"rewards": rewards, "scores": rewards, "extra_logs": {"passed": passed, "answer_found": found}}
    return {"rewards": torch.tensor(rewards), "scores": torch.tensor(rewards),
            "extra_logs": {"passed": torch.tensor(passed), "answer_found": torch.tensor(found)}}
