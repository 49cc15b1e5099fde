#!/usr/bin/env bash
# Writes what test/python/peft_parity.py compares: a tiny F32 model, a BF16 tied sharded one, a random PEFT
# adapter on every linear module, and the logits/generations tuneledger computes for them.
# Usage: test/python/prepare-parity.sh DIR   (after npm run build), then: python3 test/python/peft_parity.py DIR
set -euo pipefail
out=${1:?usage: prepare-parity.sh DIR}
cli="node $(dirname "$0")/../../bin/tuneledger.js"
ids=1,72,101,108,108,111,44,32,228,184,150,231,149,140,33,10,5,200,17
prompt='Hello, 世界! tuneledger'
rm -rf "$out" && mkdir -p "$out"
$cli model init --tiny --out "$out/model" --lora-out "$out/adapter" --lora-r 4 --lora-alpha 8 \
  --lora-targets q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj --seed 7 >/dev/null
$cli model init --tiny --out "$out/model_bf16" --dtype BF16 --tied --shard-bytes 30000 --seed 11 >/dev/null
$cli model run --model "$out/model" --ids $ids --logits >"$out/logits_base.json"
$cli model run --model "$out/model" --adapter "$out/adapter" --ids $ids --logits >"$out/logits_adapter.json"
$cli model run --model "$out/model" --adapter "$out/adapter" --merge --ids $ids --logits >"$out/logits_merged.json"
$cli model run --model "$out/model_bf16" --ids $ids --logits >"$out/logits_bf16.json"
# The same weights with Llama 3.1-style rope scaling, tight enough for the tiny model that every band moves.
cp -r "$out/model" "$out/model_rope_llama3"
node -e 'const fs=require("fs");const f=process.argv[1];const c=JSON.parse(fs.readFileSync(f,"utf8"));c.rope_scaling={rope_type:"llama3",factor:8,low_freq_factor:1,high_freq_factor:4,original_max_position_embeddings:16};fs.writeFileSync(f,JSON.stringify(c,null,2))' "$out/model_rope_llama3/config.json"
$cli model run --model "$out/model_rope_llama3" --ids $ids --logits >"$out/logits_rope_llama3.json"
$cli model run --model "$out/model" --adapter "$out/adapter" --ids $ids --max-tokens 12 --json >"$out/greedy_adapter.json"
$cli model run --model "$out/model" --prompt "$prompt" --logits |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);j.text=process.argv[1];process.stdout.write(JSON.stringify(j))})' "$prompt" \
    >"$out/logits_prompt.json"
echo "written to $out"
