"""Checks tuneledger's exported checkpoints against Hugging Face transformers + PEFT (run where torch is).

Usage: python3 test/python/peft_parity.py DIR
DIR holds what `tuneledger model init/run` wrote (see docs/ml.md, "Checking against PyTorch"):
model/ (F32), model_bf16/ (BF16, tied, sharded), model_rope_llama3/ (rope_scaling llama3), adapter/ (PEFT LoRA), ids and the logits tuneledger printed.
Prints one line per check and exits non-zero when any differs beyond tolerance.
"""
import json
import sys

import torch
from peft import PeftModel
from transformers import AutoTokenizer, LlamaForCausalLM

root = sys.argv[1]
failures = 0


def load(name):
    with open(f"{root}/{name}") as handle:
        return json.load(handle)


def check(label, ours, theirs, tolerance):
    global failures
    ours = torch.tensor(ours, dtype=torch.float64)
    theirs = theirs.to(torch.float64)
    worst = (ours - theirs).abs().max().item()
    same_argmax = bool((ours.argmax(-1) == theirs.argmax(-1)).all())
    ok = worst <= tolerance and same_argmax
    failures += 0 if ok else 1
    print(f"{'PASS' if ok else 'FAIL'} {label}: max |diff| {worst:.3e} (tolerance {tolerance:g}), argmax equal {same_argmax}")


def logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0]


base_expected = load("logits_base.json")
ids = base_expected["ids"]
base = LlamaForCausalLM.from_pretrained(f"{root}/model", torch_dtype=torch.float32).eval()
check("base F32 logits", base_expected["logits"], logits(base, ids), 1e-4)

bf16 = LlamaForCausalLM.from_pretrained(f"{root}/model_bf16", torch_dtype=torch.float32).eval()
check("BF16 tied sharded checkpoint logits", load("logits_bf16.json")["logits"], logits(bf16, ids), 1e-4)

rope = LlamaForCausalLM.from_pretrained(f"{root}/model_rope_llama3", torch_dtype=torch.float32).eval()
check("llama3 rope scaling logits", load("logits_rope_llama3.json")["logits"], logits(rope, ids), 1e-4)

peft_model = PeftModel.from_pretrained(base, f"{root}/adapter").eval()
check("base + PEFT adapter logits", load("logits_adapter.json")["logits"], logits(peft_model, ids), 1e-4)

greedy = load("greedy_adapter.json")
with torch.no_grad():
    generated = peft_model.generate(
        torch.tensor([greedy["promptIds"]]), max_new_tokens=len(greedy["tokens"]), do_sample=False,
        eos_token_id=None, pad_token_id=0,
    )[0][len(greedy["promptIds"]):].tolist()
same = generated == greedy["tokens"]
failures += 0 if same else 1
print(f"{'PASS' if same else 'FAIL'} greedy generation with adapter: ours {greedy['tokens']} peft {generated}")

merged = peft_model.merge_and_unload().eval()
check("merged adapter logits", load("logits_merged.json")["logits"], logits(merged, ids), 1e-4)

prompt = load("logits_prompt.json")
tokenizer = AutoTokenizer.from_pretrained(f"{root}/model")
hf_ids = tokenizer(prompt["text"])["input_ids"] if "text" in prompt else None
if hf_ids is not None:
    same_ids = hf_ids == prompt["ids"]
    failures += 0 if same_ids else 1
    print(f"{'PASS' if same_ids else 'FAIL'} tokenizer.json in HF tokenizers: ours {prompt['ids']} hf {hf_ids}")

print(f"{'all checks passed' if failures == 0 else f'{failures} check(s) failed'}")
sys.exit(1 if failures else 0)
