"""Self-distillation methods (§2.3 and §3.4 of the cookbook): BYOL, SimSiam, DINO (with
DINOv2's KoLeo and iBOT terms as knobs), SimDINO, and MSN (after the cookbook).

A student (backbone → projector [→ predictor]) learns to match a teacher's output for
another view of the same image. Nothing in the loss forbids the trivial answer (every image
→ the same vector); what prevents this collapse is the asymmetry between the branches — a
predictor, a stop-gradient, a slowly moving EMA teacher, DINO's centring and sharpening,
SimDINO's coding-rate term. The knobs `predictor_depth`, `predictor_width`,
`predictor_lr_mult`, `direct_predictor`, `stop_gradient`, `ema_momentum`, `ema_schedule`,
`dino_center`, `student_temp`, `teacher_temp`, `center_momentum` switch them off one at a
time.

Views: students see every view (multi-crop included), teachers the two large views; the
loss is the mean over (teacher view i, student view j ≠ i) pairs.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import losses
from ..distributed import gather
from ..nets import TinyViT, mlp
from .base import TeacherStudent, encode_views


def _pairs(loss_fn, students, targets):
    """Mean of loss_fn(student view j, teacher view i) over i < len(targets), j ≠ i."""
    terms = [loss_fn(s, t) for i, t in enumerate(targets) for j, s in enumerate(students) if i != j]
    return torch.stack(terms).mean()


class DirectPredictor(nn.Module):
    """DirectPred (Tian, Chen & Ganguli 2021, "Understanding self-supervised learning
    dynamics without contrastive pairs", arXiv 2102.06810): a linear predictor that is not
    learned but set at every training forward pass from the embeddings z it is applied to.

    F ← ρ·F + (1 − ρ)·mean(z zᵀ) (uncentred, no gradient; ρ = `RHO`), F = U diag(s) Uᵀ,
    W = U diag(p) Uᵀ with p_j = √(max(s_j, 0) / max s) + ε (ε = `EPS`; the paper's
    √s_j + ε·max √s divided by max √s, a scale the cosine loss ignores); output z W.
    `corr` (F) and `weight` (W) are buffers: no trainable parameters, saved in state_dict.
    The eigendecomposition runs in float64 on a CPU copy of F.
    In eval mode W stays as it is.
    """

    RHO, EPS = 0.3, 0.1

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("corr", torch.zeros(dim, dim))
        self.register_buffer("weight", torch.eye(dim))

    @torch.no_grad()
    def update(self, z: torch.Tensor) -> None:
        with torch.autocast(z.device.type, enabled=False):
            z = gather(z.detach().float())  # the global batch under torchrun
            self.corr.mul_(self.RHO).add_(z.T @ z / len(z), alpha=1 - self.RHO)
            # float64 on a CPU copy (MPS has no float64; a d×d eigh is cheap there)
            s, u = torch.linalg.eigh(self.corr.cpu().double())  # off the device first, then float64
            p = (s.clamp_min(0) / s.max().clamp_min(1e-12)).sqrt() + self.EPS
            self.weight.copy_(((u * p) @ u.T).to(self.weight.device, self.weight.dtype))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.update(z)
        return z @ self.weight.to(z.dtype)


class BYOL(TeacherStudent):
    """BYOL (Grill et al. 2020, "Bootstrap Your Own Latent", arXiv 2006.07733).

    Online: backbone → projector → predictor (`predictor_depth`, `predictor_width`, lr ×
    `predictor_lr_mult`); target: an EMA copy of backbone → projector (`ema_momentum`,
    `ema_schedule`). loss = mean over view pairs of `losses.byol(p_j, z'_i)` = 2 − 2 cos.
    With `ema_momentum=0` the target is the online network itself and `stop_gradient`
    decides whether it is detached; without predictor and EMA it collapses (§3.4).
    `direct_predictor=True`: the predictor is a `DirectPredictor` (set, not learned);
    `predictor_depth` then only has to be ≥ 1 and the other predictor knobs are unused.
    """

    uses_predictor = True

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        d = self.embedding_dim
        self.predictor = (DirectPredictor(d) if config.direct_predictor
                          else mlp(d, config.predictor_depth, config.predictor_width, d))
        self.make_teacher(("backbone", "projector"))

    def lr_mults(self) -> dict:
        return {"predictor.": self.config.predictor_lr_mult}

    def criterion(self, p, z):
        return losses.byol(p, z)

    def loss(self, views, labels):
        def online(x):
            h = self.backbone(x)
            z = self.projector(h)
            return h, z, self.predictor(z)

        student = encode_views(online, views)
        target = self.targets(lambda net, x: net("projector")(net("backbone")(x)), views[:2],
                              [z for _, z, _ in student])
        loss = _pairs(self.criterion, [p for _, _, p in student], target)
        return loss, student[0][0], student[0][1]


class SimSiam(BYOL):
    """SimSiam (Chen & He 2020, "Exploring Simple Siamese Representation Learning",
    arXiv 2011.10566): BYOL without the EMA — the target branch is the online network with
    a stop-gradient — and the negative cosine (`losses.negative_cosine`). With
    `stop_gradient=False` it collapses: every embedding points the same way (§2.3).
    `ema_momentum` is not used.
    """

    def make_teacher(self, parts) -> None:
        self.teacher_parts, self.shared_teacher, self.teacher = tuple(parts), True, None

    def criterion(self, p, z):
        return losses.negative_cosine(p, z)


class DINO(TeacherStudent):
    """DINO (Caron et al. 2021, "Emerging Properties in Self-Supervised Vision Transformers",
    arXiv 2104.14294).

    Student and EMA teacher: backbone → projector (the bottleneck embedding z, size
    `embedding_dim`) → l2-normalise → `num_prototypes` weight-normalised prototypes (logits
    ẑ·ŵ_k). The teacher's logits are centred (`dino_center`, an EMA of their batch mean with
    `center_momentum`) and sharpened (`teacher_temp` < `student_temp`); the student matches
    them by cross-entropy (`losses.dino`). Without centring one prototype wins for every
    image: collapse. `koleo_weight` > 0 adds DINOv2's KoLeo term (Oquab et al. 2023, arXiv
    2304.07193; `losses.koleo`) on the representations of the two large views, which spreads
    them apart (DINOv2 uses 0.1). `ibot_weight` > 0 (tiny ViT only) adds iBOT's masked-patch
    loss, DINOv2's patch term (Zhou et al. 2022, arXiv 2111.07832; `losses.ibot`): for each
    large view, half the images get a random 10–50 % of their patches replaced by a learned
    mask token in the student's input (iBOT and DINOv2 mask blocks; random patches here); the
    student's patch tokens, through the same projector and head (iBOT shares the head; DINOv2
    gives patches their own), must match the teacher's centred, sharpened patch distributions
    for the whole image at the masked positions (a centre of their own, `patch_center`).
    """

    IBOT_PROB, IBOT_RATIO = 0.5, (0.1, 0.5)  # share of images masked, range of their mask ratio

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        self.head = nn.Linear(self.embedding_dim, config.num_prototypes, bias=False)
        self.register_buffer("center", torch.zeros(1, config.num_prototypes))
        self.ibot = config.backbone == "vit_tiny" and config.ibot_weight > 0
        if self.ibot:  # only then: DINO runs without iBOT keep their weights' names
            self.patch_mask_token = nn.Parameter(torch.zeros(1, 1, config.representation_dim))
            self.register_buffer("patch_center", torch.zeros(1, config.num_prototypes))
        self.make_teacher(("backbone", "projector", "head"))

    def patch_mask(self, n: int, num_patches: int, device) -> torch.Tensor:
        """(n, num_patches) bool, True = masked for the student: for a share IBOT_PROB of the
        images, a random fraction ~ U(IBOT_RATIO) of their patches."""
        lo, hi = self.IBOT_RATIO
        chosen = self.uniform(n, device=device) < self.IBOT_PROB
        count = ((lo + (hi - lo) * self.uniform(n, device=device)) * num_patches).round()
        rank = self.uniform(n, num_patches, device=device).argsort(1).argsort(1)
        return (rank < count[:, None]) & chosen[:, None]

    def patch_logits(self, net, tokens):
        """(N, T, dim) patch tokens → (N, T, K) prototype logits through `net`'s projector and head."""
        n, t, d = tokens.shape
        z = net("projector")(tokens.reshape(n * t, d))
        return (F.normalize(z, dim=-1) @ F.normalize(net("head").weight, dim=-1).T).reshape(n, t, -1)

    def ibot_terms(self, x):
        """The masked pass over the large views x (2N, 3, S, S): the student's (h, z, logits) of
        the [CLS] token, the iBOT loss against the teacher's unmasked patches, and the
        teacher's [CLS] logits from the same teacher pass (None when the teacher is the
        student: its targets are then the student's own, as without iBOT)."""
        cfg, vit = self.config, self.backbone
        mask = self.patch_mask(len(x), vit.num_patches, x.device)
        out = vit.encode(vit.tokens(x, mask=mask, mask_token=self.patch_mask_token))
        student = self.forward_with(lambda n: getattr(self, n), None, h=out[:, 0])
        with torch.no_grad():  # iBOT's targets never take a gradient
            tv = self.teacher_net("backbone")
            teacher_out = tv.encode(tv.tokens(x))
            teacher_patches = self.patch_logits(self.teacher_net, teacher_out[:, 1:])
            teacher_cls = None if self.teacher is None else self.forward_with(self.teacher_net, None,
                                                                                h=teacher_out[:, 0])[2]
        loss = torch.zeros((), device=x.device)
        if mask.any():
            loss = losses.ibot(self.patch_logits(lambda n: getattr(self, n), out[:, 1:]), teacher_patches, mask,
                               self.patch_center, cfg.student_temp, cfg.teacher_temp)
        self.patch_center.copy_(losses.dino_center_update(self.patch_center, [gather(teacher_patches.flatten(0, 1))],
                                                          cfg.center_momentum))
        return student, loss, teacher_cls

    @staticmethod
    def forward_with(net, x, h=None):
        h = net("backbone")(x) if h is None else h
        z = net("projector")(h)
        return h, z, F.normalize(z, dim=-1) @ F.normalize(net("head").weight, dim=-1).T

    @torch.no_grad()
    def teacher_probs(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, S, S) → (N, K): the teacher's centred, sharpened prototype probabilities
        (the targets the student is trained on)."""
        logits = self.forward_with(self.teacher_net, x)[2].float()
        return F.softmax((logits - self.center) / self.config.teacher_temp, dim=-1)

    @torch.no_grad()
    def prototype_usage(self, x: torch.Tensor) -> float:
        """exp(entropy of the teacher's mean probability over the images x): the effective
        number of prototypes in use, from K (all used evenly) down to 1 (collapse: every
        image lands on the same prototype, what DINO without centring does)."""
        p = self.teacher_probs(x).mean(0)
        return float(torch.exp(-(p * p.clamp_min(1e-12).log()).sum()))

    def loss(self, views, labels):
        cfg = self.config
        ibot = teacher = None
        if self.ibot:
            large, ibot, teacher_cls = self.ibot_terms(torch.cat(views[:2]))
            student = [tuple(t.chunk(2)[i] for t in large) for i in range(2)]
            student += encode_views(lambda x: self.forward_with(lambda n: getattr(self, n), x), views[2:])
            teacher = None if teacher_cls is None else list(teacher_cls.chunk(2))  # one teacher pass for both
        else:
            student = encode_views(lambda x: self.forward_with(lambda n: getattr(self, n), x), views)
        if teacher is None:
            teacher = [t[2] for t in self.targets(self.forward_with, views[:2], student)]
        loss = losses.dino([s[2] for s in student], teacher, self.center, cfg.student_temp, cfg.teacher_temp)
        if ibot is not None:
            loss = loss + cfg.ibot_weight * ibot
        if cfg.koleo_weight > 0:  # DINOv2's spreading term on the large views' representations
            loss = loss + cfg.koleo_weight * torch.stack([losses.koleo(gather(s[0])) for s in student[:2]]).mean()
        if cfg.dino_center:
            # the centre is the mean over the global batch under torchrun
            self.center.copy_(losses.dino_center_update(self.center, [gather(t) for t in teacher], cfg.center_momentum))
        return loss, student[0][0], student[0][1]


class SimDINO(TeacherStudent):
    """SimDINO (Wu et al. 2025, "Simplifying DINO via Coding Rate Regularization",
    arXiv 2502.10385): DINO without the prototype layer, centring or sharpening. Student and
    EMA teacher are backbone → projector; the loss (`losses.simdino`) pulls the student's
    l2-normalised embedding of each view towards the teacher's of the other view and
    subtracts γ × the coding rate R_ε of the student's batch, which keeps the embeddings
    spread out (ε = `CODING_EPS`, γ = `coding_rate_weight`; γ = 0 is the negative control:
    the alignment term alone, which the embeddings can satisfy by collapsing).
    """

    CODING_EPS = 0.5

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        self.make_teacher(("backbone", "projector"))

    def loss(self, views, labels):
        student = encode_views(lambda x: (lambda h: (h, self.projector(h)))(self.backbone(x)), views)
        teacher = self.targets(lambda net, x: net("projector")(net("backbone")(x)), views[:2],
                               [z for _, z in student])
        # gather: the coding rate is that of the global batch under torchrun
        loss = losses.simdino([gather(z) for _, z in student], [gather(t) for t in teacher],
                              self.CODING_EPS, self.config.coding_rate_weight)
        return loss, student[0][0], student[0][1]


class MSN(TeacherStudent):
    """MSN, masked siamese networks (Assran et al. 2022, "Masked Siamese Networks for
    Label-Efficient Learning", arXiv 2204.07141), on the tiny ViT.

    The student (a tiny ViT whose representation is its [CLS] token → projector) sees the
    first view with a random `mask_ratio` of its patches dropped (the encoder never sees
    them, as in MAE), and the small multi-crop views whole (MSN's "focal" views); an EMA
    teacher (`ema_momentum`, `ema_schedule`) sees the second view whole. Both embeddings are
    softly assigned to `num_prototypes` learned prototypes; the student's assignments at
    temperature τ = `temperature` must match the teacher's sharpened ones by cross-entropy,
    and mean-entropy maximisation (`me_max_weight`) keeps the prototypes used evenly over
    the batch (`losses.msn`); the targets are balanced over the prototypes by
    `sinkhorn_iters` Sinkhorn steps, as MSN's official code does (without them, measured on
    digits over three seeds, every target picks one prototype and the probe is no better
    than the untrained network's: chapter 16, grid `16_jepa_era.msn`).
    """

    SHARPEN = 0.25  # MSN's target temperature is τ × 0.25

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        self.backbone = TinyViT(config.image_size, config.patch_size, dim=config.representation_dim)
        self.prototypes = nn.Parameter(F.normalize(torch.randn(config.num_prototypes, self.embedding_dim), dim=1))
        self.make_teacher(("backbone", "projector"))

    def masked(self, x):
        """The student's representation of x (N, 3, S, S) with a random `mask_ratio` of its
        patches dropped (at least one kept)."""
        vit = self.backbone
        p = vit.num_patches
        keep = max(1, p - int(round(self.config.mask_ratio * p)))
        idx = self.uniform(len(x), p, device=x.device).argsort(1)[:, :keep]
        return vit.encode(vit.tokens(x, keep=idx))[:, 0]

    @torch.no_grad()
    def prototypes_in_use(self, x: torch.Tensor) -> dict:
        """Effective numbers of prototypes, exp(entropy of the mean assignment over the images
        x (N, 3, S, S)), for the teacher's sharpened targets before Sinkhorn balancing (at
        τ × SHARPEN) and for the student's anchors (unmasked here, at τ): from K (all used
        evenly) down to 1 (every image on one prototype). Me-max acts on the anchors' mean."""
        q = F.normalize(self.prototypes.float(), dim=-1)
        tau = self.config.temperature

        def used(z, t):
            p = F.softmax(F.normalize(z.float(), dim=-1) @ q.T / t, dim=-1).mean(0)
            return float(torch.exp(-(p * p.clamp_min(1e-12).log()).sum()))
        target = self.teacher_net("projector")(self.teacher_net("backbone")(x))
        return {"targets": used(target, tau * self.SHARPEN), "anchors": used(self.projector(self.backbone(x)), tau)}

    def loss(self, views, labels):
        cfg = self.config
        anchors = [self.projector(self.masked(views[0]))]
        anchors += [z for _, z in encode_views(lambda x: (lambda h: (h, self.projector(h)))(self.backbone(x)), views[2:])]
        with torch.no_grad():
            target = self.teacher_net("projector")(self.teacher_net("backbone")(views[1]))
            h = self.backbone(views[0])
        # gathered: me-max is the mean over the global batch under torchrun
        loss = losses.msn([gather(a) for a in anchors], gather(target), self.prototypes, cfg.temperature,
                          self.SHARPEN, cfg.me_max_weight, cfg.sinkhorn_iters)
        return loss, h, anchors[0]


DISTILLATION_METHODS = {"byol": BYOL, "simsiam": SimSiam, "dino": DINO, "simdino": SimDINO, "msn": MSN}
