"""CLIP (Radford et al. 2021, arXiv 2103.00020): two encoders, one per modality (images and
factor "captions" of `shapes`), trained with the symmetric InfoNCE loss; zero-shot probes.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..augment import to_float
from ..nets import convnet

def caption_tokens(factors: dict, factor_classes: dict, names=("shape", "colour", "size", "position", "background"),
                   keep_prob: float = 1.0, g: torch.Generator | None = None, noun: str = "shape") -> torch.Tensor:
    """Factor "captions" as multi-hot token vectors (N, Σ classes): one token per factor value,
    e.g. [star, colour-3, size-1, position-4, background-6]. The `noun` (the shape) is always
    named, like the object of a real caption; with keep_prob < 1 every other token (an
    "adjective") is dropped independently, so short captions such as "star" are in distribution."""
    parts = []
    for name in names:
        onehot = F.one_hot(factors[name].cpu(), factor_classes[name]).float()
        if keep_prob < 1 and name != noun:
            onehot = onehot * (torch.rand(len(onehot), 1, generator=g) < keep_prob).float()
        parts.append(onehot)
    return torch.cat(parts, 1)


class CLIP(nn.Module):
    """Image tower (the cookbook convnet + a linear head) and text tower (an MLP over caption
    tokens), both ending in `embedding_dim`, and a learnable logit scale 1/τ (init 1/0.07)."""

    def __init__(self, vocab: int, representation_dim: int = 128, embedding_dim: int = 64, width: int = 256):
        super().__init__()
        self.image_encoder = convnet(representation_dim)
        self.image_head = nn.Linear(representation_dim, embedding_dim)
        self.text_encoder = nn.Sequential(nn.Linear(vocab, width), nn.ReLU(), nn.Linear(width, embedding_dim))
        self.logit_scale = nn.Parameter(torch.tensor(1 / 0.07).log())

    def embed_images(self, x):
        """float images (N, 3, S, S) in [0, 1] → unit-norm embeddings (N, embedding_dim)."""
        return F.normalize(self.image_head(self.image_encoder(x)), dim=1)

    def embed_text(self, tokens):
        """caption tokens (N, vocab) → unit-norm embeddings (N, embedding_dim)."""
        return F.normalize(self.text_encoder(tokens), dim=1)


def clip_loss(image_z: torch.Tensor, text_z: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE of CLIP. image_z, text_z: (N, D) unit vectors, row i of each is a pair.

        L = ½ [CE(s·I Tᵀ, diag) + CE(s·T Iᵀ, diag)],  s = exp(logit_scale) = 1/τ.
    """
    logits = logit_scale.exp() * image_z @ text_z.T
    target = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def train_clip(images, factors: dict, factor_classes: dict, steps: int = 200, batch_size: int = 128,
               keep_prob: float = 0.5, learn_temperature: bool = True, lr: float = 2e-3, seed: int = 0):
    """Train a `CLIP` on (uint8 images (N, 3, S, S), their factor captions). Returns (model, history)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    vocab = sum(factor_classes[n] for n in ("shape", "colour", "size", "position", "background"))
    model = CLIP(vocab)
    model.logit_scale.requires_grad_(learn_temperature)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    history = []
    model.train()
    for step in range(steps):
        idx = torch.randint(len(images), (batch_size,), generator=g)
        tokens = caption_tokens({k: v[idx.to(v.device)] for k, v in factors.items()}, factor_classes,
                                keep_prob=keep_prob, g=g)
        loss = clip_loss(model.embed_images(to_float(images[idx.to(images.device)]).cpu()),
                         model.embed_text(tokens), model.logit_scale)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, 4.6052)  # τ ≥ 0.01, as in CLIP
        if step % 10 == 0 or step == steps - 1:
            history.append({"step": step, "loss": loss.item(), "temperature": 1 / model.logit_scale.exp().item()})
    return model.eval(), history


def prompt_tokens(factor: str, factor_classes: dict, names=("shape", "colour", "size", "position", "background")):
    """One short caption per value of `factor` (e.g. "circle", …, "star"): (classes, vocab)."""
    k = factor_classes[factor]
    values = {n: torch.zeros(k, dtype=torch.long) for n in names}
    values[factor] = torch.arange(k)
    tokens = caption_tokens(values, factor_classes, names)
    offset = 0
    for n in names:  # keep only the tokens of `factor`
        if n != factor:
            tokens[:, offset:offset + factor_classes[n]] = 0
        offset += factor_classes[n]
    return tokens


@torch.no_grad()
def zero_shot(model: CLIP, images, prompts: torch.Tensor, batch_size: int = 1024):
    """Predicted prompt index for each uint8 image: the nearest prompt embedding (cosine)."""
    t = model.embed_text(prompts)
    preds = [(model.embed_images(to_float(c).cpu()) @ t.T).argmax(1) for c in images.split(batch_size)]
    return torch.cat(preds)
