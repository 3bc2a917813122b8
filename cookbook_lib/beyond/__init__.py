"""Beyond images (§4 of the cookbook): three small training loops for chapter 15, one module each.

- `tabular`: SCARF, contrastive SSL on tables (`scarf_corrupt`, `TabularSSL`, `train_scarf`,
  `few_label_probe`);
- `clip`: CLIP-style image–caption training on `shapes` (`CLIP`, `clip_loss`, `train_clip`,
  `caption_tokens`, `prompt_tokens`, `zero_shot`);
- `local`: VICRegL's local term (`LocalGlobal`, `vicregl_loss`, `train_vicregl`,
  `shift_flip_views`, `matched_locations`, `pooled_and_map`).

The loops are short and explicit on purpose; `load_or_run` (the run cache's `load_or_fit`)
stores what they return so a chapter re-opens instantly.
"""
from __future__ import annotations

from ..cache import load_or_fit as load_or_run
from .clip import CLIP, caption_tokens, clip_loss, prompt_tokens, train_clip, zero_shot
from .local import STRIDE, LocalGlobal, matched_locations, pooled_and_map, shift_flip_views, train_vicregl, vicregl_loss
from .tabular import TabularSSL, few_label_probe, scarf_corrupt, train_scarf

__all__ = ["load_or_run", "CLIP", "caption_tokens", "clip_loss", "prompt_tokens", "train_clip", "zero_shot",
           "STRIDE", "LocalGlobal", "matched_locations", "pooled_and_map", "shift_flip_views", "train_vicregl",
           "vicregl_loss", "TabularSSL", "few_label_probe", "scarf_corrupt", "train_scarf"]
