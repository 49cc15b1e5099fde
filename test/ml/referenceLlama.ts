/**
 * An independent LLaMA forward pass in plain JavaScript loops (float64), written from the Hugging Face
 * modeling_llama.py equations, with no tfjs: what the tfjs model's logits are checked against.
 */
export interface RefConfig {
  vocab: number;
  hidden: number;
  inter: number;
  layers: number;
  heads: number;
  kvHeads: number;
  eps: number;
  theta: number;
  tied: boolean;
}

type W = Map<string, { shape: readonly number[]; data: Float32Array }>;

function matVec(w: Float32Array, rows: number, cols: number, x: number[]): number[] {
  const out = new Array<number>(rows).fill(0);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += w[i * cols + j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

function rms(x: number[], w: Float32Array, eps: number): number[] {
  const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
  const inv = 1 / Math.sqrt(ms + eps);
  return x.map((v, i) => v * inv * w[i]!);
}

function rope(vec: number[], pos: number, d: number, theta: number): number[] {
  const half = d / 2;
  const out = vec.slice();
  for (let i = 0; i < half; i++) {
    const angle = pos / theta ** ((2 * i) / d);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const x1 = vec[i]!;
    const x2 = vec[i + half]!;
    // q*cos + rotate_half(q)*sin with rotate_half = cat(-x2, x1)
    out[i] = x1 * c - x2 * s;
    out[i + half] = x2 * c + x1 * s;
  }
  return out;
}

/** Logits [positions][vocab] for one sequence. */
export function referenceLogits(cfg: RefConfig, w: W, ids: readonly number[]): number[][] {
  const d = cfg.hidden / cfg.heads;
  const groups = cfg.heads / cfg.kvHeads;
  const get = (n: string) => w.get(n)!.data;
  const emb = get('model.embed_tokens.weight');
  let hs = ids.map((id) => Array.from(emb.subarray(id * cfg.hidden, (id + 1) * cfg.hidden)));
  for (let l = 0; l < cfg.layers; l++) {
    const p = `model.layers.${l}`;
    const xs = hs.map((h) => rms(h, get(`${p}.input_layernorm.weight`), cfg.eps));
    const qs = xs.map((x) => matVec(get(`${p}.self_attn.q_proj.weight`), cfg.heads * d, cfg.hidden, x));
    const ks = xs.map((x) => matVec(get(`${p}.self_attn.k_proj.weight`), cfg.kvHeads * d, cfg.hidden, x));
    const vs = xs.map((x) => matVec(get(`${p}.self_attn.v_proj.weight`), cfg.kvHeads * d, cfg.hidden, x));
    const ctx = hs.map(() => new Array<number>(cfg.heads * d).fill(0));
    for (let h = 0; h < cfg.heads; h++) {
      const kvh = Math.floor(h / groups);
      for (let t = 0; t < ids.length; t++) {
        const q = rope(qs[t]!.slice(h * d, (h + 1) * d), t, d, cfg.theta);
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          const k = rope(ks[s]!.slice(kvh * d, (kvh + 1) * d), s, d, cfg.theta);
          scores.push(q.reduce((acc, v, i) => acc + v * k[i]!, 0) / Math.sqrt(d));
        }
        const m = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) {
          for (let i = 0; i < d; i++) ctx[t]![h * d + i]! += (e[s]! / z) * vs[s]![kvh * d + i]!;
        }
      }
    }
    hs = hs.map((h, t) => {
      const o = matVec(get(`${p}.self_attn.o_proj.weight`), cfg.hidden, cfg.heads * d, ctx[t]!);
      return h.map((v, i) => v + o[i]!);
    });
    hs = hs.map((h) => {
      const y = rms(h, get(`${p}.post_attention_layernorm.weight`), cfg.eps);
      const g = matVec(get(`${p}.mlp.gate_proj.weight`), cfg.inter, cfg.hidden, y);
      const u = matVec(get(`${p}.mlp.up_proj.weight`), cfg.inter, cfg.hidden, y);
      const act = g.map((v, i) => (v / (1 + Math.exp(-v))) * u[i]!);
      const down = matVec(get(`${p}.mlp.down_proj.weight`), cfg.hidden, cfg.inter, act);
      return h.map((v, i) => v + down[i]!);
    });
  }
  const head = cfg.tied ? emb : get('lm_head.weight');
  return hs.map((h) => matVec(head, cfg.vocab, cfg.hidden, rms(h, get('model.norm.weight'), cfg.eps)));
}
