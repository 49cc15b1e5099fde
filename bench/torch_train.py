"""PyTorch baseline for bench/train.ts: the same LLaMA model, batch and sequence in plain PyTorch.

The reference configuration (vocab 512, hidden 256, 4 layers, 4 heads, intermediate 688, untied head,
RMSNorm eps 1e-6, rotary theta 10000), batch 8 of 128 input positions. LoRA is r=16, alpha=32, dropout 0.05
on q_proj and v_proj, written out here so PEFT is not needed; both modes use AdamW (lr 1e-4) and clip the
gradient norm at 1, as the Trainer does. Generation is greedy with a KV cache at batch 1 (a 16-token prompt).

Usage: python3 bench/torch_train.py [--mode all|lora|full|generate] [--steps N] [--warmup N] [--gen-tokens N]
Prints one JSON object: {"torch", "threads", "results": {mode: {"tokens_per_s": [...], "tokens_per_cpu_s": [...]}}}
(tokens per wall second and per CPU second of the process, all its threads, one entry per timed step or run;
every mode by default). The thread settings follow the
bench: OPENBLAS_NUM_THREADS (default 2) for the BLAS, torch.set_num_threads(1) for torch's own loops.
"""

import argparse
import json
import math
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

VOCAB, HIDDEN, LAYERS, HEADS, INTERMEDIATE = 512, 256, 4, 4, 688
HEAD_DIM = HIDDEN // HEADS
EPS, THETA = 1e-6, 10000.0
SEQ, BATCH = 128, 8
LORA_R, LORA_ALPHA, LORA_DROPOUT = 16, 32, 0.05


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight


class LoraLinear(nn.Module):
    """y = x W^T + (alpha / r) * dropout(x) A^T B^T, A kaiming-uniform, B zero (PEFT's LoRA)."""

    def __init__(self, base):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(LORA_R, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, LORA_R))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.dropout = nn.Dropout(LORA_DROPOUT)
        self.scale = LORA_ALPHA / LORA_R

    def forward(self, x):
        return self.base(x) + (self.dropout(x) @ self.lora_A.t() @ self.lora_B.t()) * self.scale


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.k_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.v_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.o_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)

    def forward(self, x, cos, sin, cache=None):
        b, t, _ = x.shape
        q, k, v = (p(x).view(b, t, HEADS, HEAD_DIM).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if "k" in cache:
                k = torch.cat((cache["k"], k), dim=2)
                v = torch.cat((cache["v"], v), dim=2)
            cache["k"], cache["v"] = k, v
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(HEAD_DIM)
        if t > 1:
            keys = k.shape[2]
            mask = torch.ones(t, keys, dtype=torch.bool).triu(keys - t + 1)
            scores = scores.masked_fill(mask, float("-inf"))
        out = F.softmax(scores, dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, t, HIDDEN))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_proj = nn.Linear(HIDDEN, INTERMEDIATE, bias=False)
        self.up_proj = nn.Linear(HIDDEN, INTERMEDIATE, bias=False)
        self.down_proj = nn.Linear(INTERMEDIATE, HIDDEN, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm = RMSNorm(HIDDEN)
        self.self_attn = Attention()
        self.post_attention_layernorm = RMSNorm(HIDDEN)
        self.mlp = MLP()

    def forward(self, x, cos, sin, cache=None):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, cache)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, HIDDEN)
        self.layers = nn.ModuleList(Block() for _ in range(LAYERS))
        self.norm = RMSNorm(HIDDEN)
        self.lm_head = nn.Linear(HIDDEN, VOCAB, bias=False)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
        inv_freq = 1.0 / THETA ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM)
        freqs = torch.outer(torch.arange(512).float(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)

    def forward(self, ids, offset=0, caches=None):
        t = ids.shape[1]
        cos, sin = self.cos[offset : offset + t], self.sin[offset : offset + t]
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, None if caches is None else caches[i])
        return self.lm_head(self.norm(x))

    def add_lora(self):
        for p in self.parameters():
            p.requires_grad_(False)
        for layer in self.layers:
            layer.self_attn.q_proj = LoraLinear(layer.self_attn.q_proj)
            layer.self_attn.v_proj = LoraLinear(layer.self_attn.v_proj)


def batch():
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(0, VOCAB, (BATCH, SEQ + 1), generator=g)
    # The loss covers the response (positions from 32 on), as bench/train's examples do.
    weights = (torch.arange(1, SEQ + 1) >= 32).float().expand(BATCH, SEQ)
    return ids[:, :-1], ids[:, 1:], weights


def train(mode, steps, warmup):
    torch.manual_seed(1)
    model = Llama()
    if mode == "lora":
        model.add_lora()
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    inputs, targets, weights = batch()
    speeds, cpu = [], []
    for step in range(warmup + steps):
        started, cpu_started = time.perf_counter(), time.process_time()
        logits = model(inputs)
        losses = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1), reduction="none")
        loss = (losses * weights.reshape(-1)).sum() / weights.sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        if step >= warmup:
            speeds.append(BATCH * SEQ / (time.perf_counter() - started))
            cpu.append(BATCH * SEQ / (time.process_time() - cpu_started))
    return speeds, cpu


@torch.no_grad()
def generate(tokens, runs):
    torch.manual_seed(1)
    model = Llama().eval()
    prompt = torch.tensor([[(i * 37) % VOCAB for i in range(16)]])

    def once(count):
        caches = [{} for _ in range(LAYERS)]
        logits = model(prompt, 0, caches)
        offset = prompt.shape[1]
        out = []
        for _ in range(count):
            token = logits[:, -1].argmax(-1, keepdim=True)
            out.append(int(token))
            if len(out) == count:
                break
            logits = model(token, offset, caches)
            offset += 1
        return out

    once(4)
    speeds, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        produced = once(tokens)
        speeds.append(len(produced) / (time.perf_counter() - started))
        cpu.append(len(produced) / (time.process_time() - cpu_started))
    return speeds, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["all", "lora", "full", "generate"], default="all")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--gen-tokens", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = {}
    for mode in ["lora", "full", "generate"] if args.mode == "all" else [args.mode]:
        if mode == "generate":
            speeds, cpu = generate(args.gen_tokens, args.runs)
        else:
            speeds, cpu = train(mode, args.steps, args.warmup)
        results[mode] = {"tokens_per_s": speeds, "tokens_per_cpu_s": cpu}
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": {"torch": torch.get_num_threads(), "openblas": os.environ["OPENBLAS_NUM_THREADS"]},
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
