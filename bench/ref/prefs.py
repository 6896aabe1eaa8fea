#!/usr/bin/env python3
"""DPO and KTO losses in plain PyTorch (float64): the independent reference for src/align/.

  prefs.py --method dpo|kto --policy p.safetensors --ref r.safetensors --config c.json
           --data items.json --beta B --out grads.safetensors

items.json: DPO [{"prompt": ids, "chosen": ids, "rejected": ids}], KTO [{"prompt": ids,
"completion": ids, "label": true|false}]. Every sequence runs alone (no padding, no packing):
log p(answer | prompt) = sum over the answer's tokens of log_softmax(logits)[token].
DPO: loss = mean(-logsigmoid(beta * ((pc - rc) - (pr - rr)))) [+ nll_weight * mean(-pc / len(chosen))].
KTO (as TRL): z0 = clamp(mean over i of p(answer_i | prompt_{i+1}) - r(...), min 0), detached;
desirable 1 - sigmoid(beta * (rho - z0)), undesirable 1 - sigmoid(beta * (z0 - rho)); mean.
Writes grad.<param> (F32) and prints {"loss", "margin", "accuracy"} as JSON.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama import Llama, load_config, load_weights  # noqa: E402
from safetensors_check import save as st_save  # noqa: E402


def answer_logprob(model, prompt, answer):
    ids = torch.tensor([prompt + answer], dtype=torch.long)
    logp = F.log_softmax(model(ids[:, :-1])[0], dim=-1)  # (T-1, V)
    pos = torch.arange(len(prompt) - 1, len(prompt) + len(answer) - 1)
    return logp[pos, torch.tensor(answer)].sum()


def main():
    ap = argparse.ArgumentParser()
    for k in ["method", "policy", "ref", "config", "data", "out"]:
        ap.add_argument(f"--{k}", required=True)
    ap.add_argument("--beta", type=float, required=True)
    ap.add_argument("--nll-weight", type=float, default=0.0)
    a = ap.parse_args()
    c = load_config(a.config)
    torch.set_num_threads(1)
    policy, ref = Llama(c, torch.float64), Llama(c, torch.float64)
    load_weights(policy, a.policy)
    load_weights(ref, a.ref)
    with open(a.data, encoding="utf-8") as f:
        items = json.load(f)
    beta = a.beta
    if a.method == "dpo":
        pc = torch.stack([answer_logprob(policy, x["prompt"], x["chosen"]) for x in items])
        pr = torch.stack([answer_logprob(policy, x["prompt"], x["rejected"]) for x in items])
        with torch.no_grad():
            rc = torch.stack([answer_logprob(ref, x["prompt"], x["chosen"]) for x in items])
            rr = torch.stack([answer_logprob(ref, x["prompt"], x["rejected"]) for x in items])
        z = beta * ((pc - rc) - (pr - rr))
        loss = -F.logsigmoid(z).mean()
        if a.nll_weight > 0:  # RPO: the chosen answers' mean per-token NLL, averaged over pairs
            lens = torch.tensor([len(x["chosen"]) for x in items], dtype=torch.float64)
            loss = loss + a.nll_weight * (-pc / lens).mean()
        margin, accuracy = z.mean().item(), (z > 0).double().mean().item()
    else:
        n = len(items)
        p = torch.stack([answer_logprob(policy, x["prompt"], x["completion"]) for x in items])
        with torch.no_grad():
            r = torch.stack([answer_logprob(ref, x["prompt"], x["completion"]) for x in items])
            mism = [(items[(i + 1) % n]["prompt"], items[i]["completion"]) for i in range(n)]
            pm = torch.stack([answer_logprob(policy, q, y) for q, y in mism])
            rm = torch.stack([answer_logprob(ref, q, y) for q, y in mism])
            z0 = (pm - rm).mean().clamp(min=0)
        rho = p - r
        label = torch.tensor([bool(x["label"]) for x in items])
        losses = torch.where(label, 1 - torch.sigmoid(beta * (rho - z0)), 1 - torch.sigmoid(beta * (z0 - rho)))
        loss = losses.mean()
        rc, rr = beta * rho[label], beta * rho[~label]
        margin = (rc.mean() - rr.mean()).item()
        accuracy = torch.where(label, rho > 0, rho < 0).double().mean().item()
    loss.backward()
    st_save(a.out, {f"grad.{n}": q.grad.float() for n, q in policy.named_parameters()}, {"loss": repr(loss.item())})
    print(json.dumps({"loss": loss.item(), "margin": margin, "accuracy": accuracy}))


if __name__ == "__main__":
    main()
