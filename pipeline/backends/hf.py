"""Transformers backend: per-choice log-likelihoods, identical to lm-evaluation-harness 0.4.x HFLM.

Exactness. Context and continuation are tokenized as lm-eval's `_encode_pair` does: trailing spaces of the
context move to the continuation, the context is encoded alone, and the continuation's tokens are what
encoding context+continuation adds after the context's token count. Special tokens follow HFLM 0.4.13
(`add_bos_token=None`): the tokenizer's own default (BOS for Gemma, nothing for SmolLM2), unless the text
already starts with the BOS text. Each log-likelihood is the sum of log-softmax scores of the continuation
tokens given everything before them, as in one full pass over context+continuation.

Speed, without changing a number:
  - single-token choices (letters, yes/no/maybe) need only the next-token distribution after the prompt:
    one forward per prompt, logits at its last position only;
  - multi-token choices (answer texts) run the prompt once and reuse its KV cache for every choice;
  - a shared Request.prefix (few-shot examples) is run once and its KV cache reused by every request that
    shares it: the tokens the prefix's own encoding and the whole prompt's agree on, nothing more;
  - zero-shot prompts of one call that open with the same 8+ tokens (MMLU's subject header) share that
    opening the same way (shared_prefixes);
  - a new prefix that opens like a cached one continues a cut-back copy of that one's KV (run_prefix: the
    K-QA judge prompts' instructions and examples run once, not once per answer);
  - prompts are batched by length, right-padded: in a causal model no real token attends to a pad that
    follows it, so no attention mask is needed and sliding-window layers (Gemma 3) see what they would
    see unpadded. Batches stop where padding would pass 15% of their tokens: on a CPU a pad costs what a
    token costs, and batching buys little there.

Variant "int8-dynamic" quantizes nn.Linear weights to int8 (torch.ao.quantization.quantize_dynamic) and
each activation tensor with one scale, so it scores one row at a time: neighbours never move its numbers.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import inspect
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers.cache_utils import DynamicLayer

from pipeline import models
from pipeline.backends.base import BackendError, Generation, GenerationRequest, Request, Scores
from warehouse.records import ModelInfo

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
VARIANTS = ("", "int8-dynamic")
DEFAULT_MAX_LENGTH = 2048  # lm-eval's fallback when neither config nor tokenizer gives a context length
TOKENIZER_INFINITY = 1000000000000000019884624838656
MAX_BATCH_TOKENS = 32768  # rows x (prefix + prompt) tokens per forward: bounds the KV cache a batch holds
MAX_PADDING = 0.15  # pads per real token a batch may carry
MAX_LOGIT_FLOATS = 1 << 25  # rows x positions x vocab per continuation forward (128 MiB in fp32)
PREFIX_CACHE_SIZE = 4  # few-shot prefixes kept between calls: one per task being evaluated is plenty
MIN_SHARED_PREFIX = 8  # tokens a common opening of zero-shot prompts needs before it is run once and shared
MIN_SHARING = 4  # requests that must share it
MIN_REUSED_PREFIX = 64  # tokens a new prefix must share with a cached one before that one's KV is continued


def _per_row_logits_to_keep() -> bool:
    """Whether this transformers takes logits_to_keep as (batch, positions), one position list per row (5.2x)."""
    try:
        from transformers.modeling_utils import slice_logits_to_keep
    except ImportError:
        return False
    hidden = torch.arange(6.0).reshape(2, 3, 1)
    return slice_logits_to_keep(hidden, torch.tensor([[0], [2]])).flatten().tolist() == [0.0, 5.0]


PER_ROW_LOGITS_TO_KEEP = _per_row_logits_to_keep()


@dataclass(frozen=True)
class Encoded:
    """A request in tokens: lm-eval's context_enc and continuation_enc, plus a reusable prefix."""

    index: int  # position in the caller's list
    context: tuple[int, ...]
    continuations: tuple[tuple[int, ...], ...]
    prefix: tuple[int, ...] = ()  # a strict token prefix of `context` whose KV may be shared; () for none

    @property
    def suffix(self) -> tuple[int, ...]:
        return self.context[len(self.prefix) :]

    @property
    def single_token(self) -> bool:
        return all(len(c) == 1 for c in self.continuations)

    def fits(self, max_length: int) -> bool:
        """False when lm-eval would left-truncate some context+continuation to the model's length."""
        return len(self.context) + max(len(c) for c in self.continuations) <= max_length + 1


class HFBackend:
    scoring_mode = "loglikelihood"

    def __init__(self, model, tokenizer, info: ModelInfo, batch_size: int = 16):
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        # Dynamic int8 quantizes activations with one scale per tensor, so a padded batch would let
        # neighbours (and pads) move a prompt's numbers: such models score one row at a time.
        self.one_row_at_a_time = info.variant == "int8-dynamic"
        self.batch_size = 1 if self.one_row_at_a_time else max(1, int(batch_size))
        self.device = torch.device(info.device)
        self.identity_settings = {"tokenization": "lm-eval-0.4.13 _encode_pair, tokenizer-default special tokens"}
        # lm-eval's prefix_token_id: what an empty context becomes, and the text that suppresses a second BOS.
        self.prefix_token_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        self.bos_text = tokenizer.decode([self.prefix_token_id]) if self.prefix_token_id is not None else None
        self.pad_id = next((t for t in (tokenizer.pad_token_id, tokenizer.eos_token_id) if t is not None), 0)
        self.max_length = context_length(model.config, tokenizer)
        self._prefix_caches: OrderedDict[tuple[int, ...], object] = OrderedDict()
        self.share_common_openings = True
        # transformers 5.24 renamed past_key_values to cache (the old name warns until 5.40); accept either.
        self._cache_kwarg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"

    # ------------------------------------------------------------ tokenization (lm-eval TemplateLM/HFLM)

    def tok_encode(self, text: str) -> list[int]:
        if self.bos_text and text.startswith(self.bos_text):
            return self.tokenizer.encode(text, add_special_tokens=False)
        return self.tokenizer.encode(text)

    def encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        if context == "":
            return [self.prefix_token_id], self.tok_encode(continuation)
        n_spaces = len(context) - len(context.rstrip())
        if n_spaces:
            context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
        context_enc = self.tok_encode(context)
        whole_enc = self.tok_encode(context + continuation)
        return context_enc, whole_enc[len(context_enc) :]

    def encode(self, index: int, request: Request, prefix_memo: dict[str, list[int]]) -> Encoded:
        context, continuations = None, []
        for text in request.continuations:
            context, tokens = self.encode_pair(request.prompt, text)
            if not tokens:
                raise BackendError(
                    f"request {request.question_id}: continuation {text!r} adds no token after the "
                    f"prompt; fix the prompt template so every choice is scored on real tokens"
                )
            continuations.append(tuple(tokens))
        if context is None:
            raise BackendError(f"request {request.question_id} has no continuations to score")
        shared = 0
        if request.prefix:
            if request.prefix not in prefix_memo:
                prefix_memo[request.prefix] = self.tok_encode(request.prefix)
            shared = common_length(prefix_memo[request.prefix], context)
        # Tokens can merge across the prefix's end ("\n\n" + "Question" -> "\n", "\n", "Question"), so only the
        # tokens the prefix and the whole prompt agree on are shared; at least one must be left to run.
        shared = min(shared, len(context) - 1)
        return Encoded(index, tuple(context), tuple(continuations), tuple(context[:shared]))

    # ------------------------------------------------------------ scoring

    def shared_prefixes(self, encoded: list[Encoded]) -> list[Encoded]:
        """Requests without a Request.prefix whose prompts open with the same tokens (MMLU's zero-shot header
        "The following are multiple choice questions (with answers) about anatomy.\n\n") get that common run
        as their prefix, so its KV is computed once, as a few-shot prefix's is. Only runs of MIN_SHARED_PREFIX
        tokens or more, shared by MIN_SHARING requests or more: a shorter one saves less than copying it costs."""
        groups: dict[tuple[int, ...], list[Encoded]] = {}
        for item in encoded:
            if not item.prefix and item.fits(self.max_length) and len(item.context) > MIN_SHARED_PREFIX:
                groups.setdefault(item.context[:MIN_SHARED_PREFIX], []).append(item)
        result = list(encoded)
        for members in groups.values():
            if len(members) < MIN_SHARING:
                continue
            first = members[0].context
            shared = min(len(m.context) for m in members) - 1  # at least one token of each is left to run
            for member in members[1:]:
                shared = common_length(first[:shared], member.context)
            for member in members:
                result[member.index] = dataclasses.replace(member, prefix=first[:shared])
        return result

    def loglikelihood(self, requests: Sequence[Request]) -> list[Scores]:
        memo: dict[str, list[int]] = {}
        encoded = [self.encode(i, r, memo) for i, r in enumerate(requests)]
        if self.share_common_openings:
            encoded = self.shared_prefixes(encoded)
        results: list[Scores | None] = [None] * len(encoded)
        for score, batch in self.plan(encoded):
            started = time.perf_counter()
            with torch.inference_mode():
                values = score(batch)
            share_ms = (time.perf_counter() - started) * 1000 / len(batch)
            for item, lls in zip(batch, values):
                results[item.index] = Scores(
                    loglikelihoods=tuple(lls), latency_ms=share_ms, input_tokens=len(item.context)
                )
        return results

    def plan(self, encoded: list[Encoded]):
        """(scorer, items) pairs: batches of single-token requests, multi-token and over-long ones alone."""
        single: dict[tuple[int, ...], list[Encoded]] = {}
        for item in encoded:
            if not item.fits(self.max_length):
                yield self.score_full_passes, [item]
            elif not item.single_token:
                yield self.score_with_shared_prompt, [item]
            else:
                single.setdefault(item.prefix, []).append(item)
        for items in single.values():
            yield from ((self.score_next_token, batch) for batch in self.length_batches(items))

    def length_batches(self, items: list[Encoded]):
        """Longest first; a batch closes at batch_size rows, at MAX_BATCH_TOKENS, or when padding would exceed
        MAX_PADDING of its real tokens (a CPU spends as long on a pad as on a token, so padding is pure loss)."""
        items = sorted(items, key=lambda e: -len(e.suffix))
        batch: list[Encoded] = []
        real = 0
        for item in items:
            if batch:
                rows, width = len(batch) + 1, len(batch[0].suffix)
                full = rows > self.batch_size or rows * (len(item.prefix) + width) > MAX_BATCH_TOKENS
                if full or rows * width > (1 + MAX_PADDING) * (real + len(item.suffix)):
                    yield batch
                    batch, real = [], 0
            batch.append(item)
            real += len(item.suffix)
        if batch:
            yield batch

    def score_next_token(self, batch: list[Encoded]) -> list[list[float]]:
        """Single-token choices: one forward over the batch, logits at each prompt's last position only."""
        suffixes = [item.suffix for item in batch]
        past = self.prefix_cache(batch[0].prefix, rows=len(batch))
        keep, column = self.last_positions([len(s) for s in suffixes])
        logits, _ = self.forward(self.right_padded(suffixes), cache=past, logits_to_keep=keep)
        logprobs = logits[torch.arange(len(batch)), column].float().log_softmax(-1)
        return [logprobs[row, [c[0] for c in item.continuations]].tolist() for row, item in enumerate(batch)]

    def score_with_shared_prompt(self, batch: list[Encoded]) -> list[list[float]]:
        """Multi-token choices: the prompt once, then every choice on a copy of its KV cache."""
        [item] = batch
        logits, prompt_cache = self.forward(
            self.tensor([item.suffix]), cache=self.prefix_cache(item.prefix, rows=1), keep_cache=True, logits_to_keep=1
        )
        first = logits[0, -1].float().log_softmax(-1)
        totals = [first[c[0]].item() for c in item.continuations]
        longer = [j for j, c in enumerate(item.continuations) if len(c) > 1]
        width = max((len(item.continuations[j]) - 1 for j in longer), default=1)
        rows_per_pass = 1 if self.one_row_at_a_time else max(1, MAX_LOGIT_FLOATS // (width * logits.shape[-1]))
        for start in range(0, len(longer), rows_per_pass):
            chunk = longer[start : start + rows_per_pass]
            cache = copy.deepcopy(prompt_cache)
            if len(chunk) > 1:
                cache.batch_repeat_interleave(len(chunk))
            # Row j feeds choice tokens 0..n-2; position t then predicts token t+1. Pads trail every row.
            inputs = self.right_padded([item.continuations[j][:-1] for j in chunk])
            # log_softmax as lm-eval does: logits.logsumexp() differs from it by ~1e-5 per token on CPU.
            logprobs = self.forward(inputs, cache=cache)[0].float().log_softmax(-1)
            for row, j in enumerate(chunk):
                targets = torch.tensor(item.continuations[j][1:], device=logprobs.device)
                totals[j] += logprobs[row, : len(targets)].gather(-1, targets[:, None]).sum().item()
        return [totals]

    def score_full_passes(self, batch: list[Encoded]) -> list[list[float]]:
        """Prompts longer than the model's context: lm-eval's left truncation, one full pass per choice."""
        [item] = batch
        totals = []
        for cont in item.continuations:
            window = (item.context + cont)[-(self.max_length + 1) :][:-1]
            logits = self.forward(self.tensor([window]), logits_to_keep=len(cont))[0][0].float()
            picked = logits.log_softmax(-1).gather(-1, torch.tensor(cont, device=logits.device)[:, None])
            totals.append(picked.sum().item())
        return [totals]

    # ------------------------------------------------------------ free text (pipeline/backends/hf_generation.py)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Answers in free text: chat template (or a plain documented prompt), left-padded batches, greedy."""
        from pipeline.backends import hf_generation

        return hf_generation.generate(self, requests)

    # ------------------------------------------------------------ helpers

    def prefix_cache(self, prefix: tuple[int, ...], rows: int):
        """A fresh KV cache of the prefix for `rows` rows (forwards extend caches in place), or None."""
        if not prefix:
            return None
        cache = self._prefix_caches.get(prefix)
        if cache is None:
            cache = self.run_prefix(prefix)
            self._prefix_caches[prefix] = cache
            while len(self._prefix_caches) > PREFIX_CACHE_SIZE:
                self._prefix_caches.popitem(last=False)
        self._prefix_caches.move_to_end(prefix)
        fresh = copy.deepcopy(cache)
        if rows > 1:
            fresh.batch_repeat_interleave(rows)
        return fresh

    def run_prefix(self, prefix: tuple[int, ...]):
        """The prefix's KV cache, continued from the cached prefix it shares most tokens with where that one can be
        cut back (plain full-attention layers): K-QA's judge prompts repeat ~1,300 tokens of instructions and
        examples before every answer, so only the answer is run. Elsewhere, and for short overlaps, from scratch."""
        base, shared = None, 0
        for cached_tokens, cached in self._prefix_caches.items():
            length = min(common_length(cached_tokens, prefix), len(prefix) - 1)  # one token at least is run
            layers = getattr(cached, "layers", None)
            if length > shared and layers and all(type(layer) is DynamicLayer for layer in layers):
                base, shared = (cached, len(cached_tokens)), length
        if base is None or shared < MIN_REUSED_PREFIX:
            return self.forward(self.tensor([prefix]), keep_cache=True, logits_to_keep=1)[1]
        cached, cached_length = base
        cache = copy.deepcopy(cached)
        cache.crop(shared - cached_length)  # a negative count: the tokens to drop from the end
        self.forward(self.tensor([prefix[shared:]]), cache=cache, logits_to_keep=1)
        return cache

    def last_positions(self, lengths: list[int]) -> tuple[torch.Tensor, list[int]]:
        """logits_to_keep for each row's last real position, and the column each row's logits land in."""
        if PER_ROW_LOGITS_TO_KEEP:
            return torch.tensor([[n - 1] for n in lengths], device=self.device), [0] * len(lengths)
        # Older transformers keep the same positions in every row: keep each distinct last position.
        positions = sorted({n - 1 for n in lengths})
        return torch.tensor(positions, device=self.device), [positions.index(n - 1) for n in lengths]

    def forward(self, input_ids: torch.Tensor, cache=None, keep_cache: bool = False, logits_to_keep=0):
        """One model call -> (logits, cache). A given `cache` holds earlier tokens and is extended in place;
        with `keep_cache` and none given, a new cache is returned."""
        out = self.model(
            input_ids=input_ids,
            use_cache=keep_cache or cache is not None,
            logits_to_keep=logits_to_keep,
            **{self._cache_kwarg: cache},
        )
        return out.logits, getattr(out, self._cache_kwarg)  # the output field was renamed with the argument

    def tensor(self, rows) -> torch.Tensor:
        return torch.tensor(rows, dtype=torch.long, device=self.device)

    def right_padded(self, rows) -> torch.Tensor:
        width = max(len(r) for r in rows)
        return self.tensor([list(r) + [self.pad_id] * (width - len(r)) for r in rows])

    def close(self) -> None:
        self._prefix_caches.clear()
        self.model = self.tokenizer = None
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()


def common_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def context_length(config, tokenizer) -> int:
    """lm-eval's resolve_max_length: the text config's length, else the tokenizer's, else 2048."""
    config = getattr(config, "text_config", None) or config
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        if getattr(config, attr, None) is not None:
            return int(getattr(config, attr))
    limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if limit is not None and limit != TOKENIZER_INFINITY else DEFAULT_MAX_LENGTH


def quantize_int8_dynamic(model):
    """The same weights with nn.Linear layers quantized to int8 on the fly (activations stay fp32)."""
    import warnings

    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch 2.13 announces quantized tensors' move to torchao; they still work
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantized tensor creation functions.*")
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def check_options(dtype: str, device: str, variant: str) -> None:
    if dtype not in DTYPES:
        raise BackendError(f"unknown dtype {dtype!r}; choose one of: {', '.join(DTYPES)}")
    if variant not in VARIANTS:
        raise BackendError(f"unknown variant {variant!r}; choose one of: {', '.join(repr(v) for v in VARIANTS)}")
    if variant == "int8-dynamic" and (device != "cpu" or dtype != "float32"):
        raise BackendError("variant int8-dynamic runs on --device cpu with --dtype float32 only")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BackendError(f"--device {device} asked for, but torch sees no CUDA GPU; use --device cpu")


def load(resolved: models.ResolvedModel, dtype: str):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(resolved.path, **resolved.load_kwargs)
        model = AutoModelForCausalLM.from_pretrained(resolved.path, dtype=DTYPES[dtype], **resolved.load_kwargs)
    except (OSError, ValueError) as exc:
        raise BackendError(f"could not load {resolved.name} from {resolved.path}: {exc}") from exc
    return model.eval(), tokenizer


def create_backend(
    model: str,
    revision: str | None = None,
    gguf_file: str | None = None,
    dtype: str = "float32",
    device: str = "cpu",
    variant: str = "",
    batch_size: int = 16,
    label: str = "",
) -> HFBackend:
    check_options(dtype, device, variant)
    resolved = models.resolve(model, revision=revision, gguf_file=gguf_file)
    lm, tokenizer = load(resolved, dtype)
    n_params = sum(p.numel() for p in lm.parameters())  # before quantization hides weights from parameters()
    lm.to(device)
    if variant == "int8-dynamic":
        lm = quantize_int8_dynamic(lm)
    info = ModelInfo(
        name=resolved.name,
        revision=resolved.revision,
        variant=variant,
        label=label,
        dtype=dtype,
        device=device,
        n_params=n_params,
        source=resolved.source,
        model_type=resolved.model_type,
        license=resolved.license,
    )
    return HFBackend(lm, tokenizer, info, batch_size=batch_size)
