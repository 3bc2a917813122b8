"""What a grid measures on each trained run (beyond the run's own metrics), and the subsets a
grid can train on. `Grid(measures=[...])` names entries of MEASURES; `Grid(subset=...)` an entry
of SUBSETS. Each measure embeds the data once per run (`_embedded`) and shares that pass."""
from __future__ import annotations

import statistics


def _embedded(run, data):
    """(train, test) embeddings of `data` by `run`, each (h, z), computed once per run and data
    and kept on the run itself (so they go when it goes): a grid's measures (ten factor
    probes, say) share one pass over the images."""
    per_run = vars(run).setdefault("_evidence_embedded", {})
    if data not in per_run:
        per_run[data] = (run.embed(data.train_images), run.embed(data.test_images))
    return per_run[data]


def _probe(run, data, output: int = 0, knn: bool = False) -> float:
    """Linear-probe (or kNN) test accuracy of `run`'s frozen h (output 0) or z (output 1),
    fitted on every labelled training image of `data`, as `linear_acc` is."""
    from .. import evaluate
    train, test = (e[output] for e in _embedded(run, data))
    fit = evaluate.knn if knn else evaluate.linear_probe
    return fit(train, data.train_labels, test, data.test_labels)


def _few_labels(per_class: int, draws: int = 10):
    """The linear probe on h fitted on `per_class` labelled images of each class, the mean over
    `draws` random draws (`ImageData.labelled(per_class, seed=d)`, d = 0 … draws − 1) of the
    full training split, scored on the whole test split."""
    def measure(run, data, full) -> float:
        from .. import evaluate
        h_train, h_test = (e[0] for e in _embedded(run, full))
        subsets = [full.labelled_index(per_class, seed=d) for d in range(draws)]
        return statistics.fmean(evaluate.linear_probes(h_train, full.train_labels, h_test, full.test_labels, subsets))
    return measure


def _on_dataset(name: str):
    """The linear probe on h fitted and scored on another dataset `name` at the run's image size."""
    def measure(run, data, full) -> float:
        from ..data import load_dataset
        return _probe(run, load_dataset(name, run.config.image_size, next(run.model.parameters()).device.type))
    return measure


def _factor(factor: str, output: int):
    """Linear-probe accuracy of one generative factor of `shapes` (shape, colour, ...) read
    from h (output 0) or z (output 1), fitted on every training image of the full data: what
    the representation keeps of that factor (`evaluate.factor_probes`)."""
    def measure(run, data, full) -> float:
        from .. import evaluate
        train, test = (e[output] for e in _embedded(run, full))
        return evaluate.factor_probes(train, {factor: full.train_factors[factor]},
                                      test, {factor: full.test_factors[factor]})[factor]
    return measure


def _h_part(first: bool):
    """Linear-probe accuracy of the first `embedding_dim` coordinates of h (`first`; the
    sub-vector DirectCLR's loss sees) or of the others: how much of the representation the
    loss trained, for a method that applies it to a slice of h."""
    def measure(run, data, full) -> float:
        from .. import evaluate
        d = run.config.embedding_dim
        (h_train, _), (h_test, _) = _embedded(run, data)
        part = slice(None, d) if first else slice(d, None)
        return evaluate.linear_probe(h_train[:, part], data.train_labels, h_test[:, part], data.test_labels)
    return measure


def _fine_tune(steps: int):
    """Test accuracy after fine-tuning a copy of the backbone end to end with a linear head for
    `steps` minibatches of 64 (lr 3e-3, the run's seed), chapter 06's protocol (§3.7)."""
    def measure(run, data, full) -> float:
        from .. import evaluate
        return evaluate.fine_tune(run.model.backbone, full.train_images, full.train_labels, full.test_images,
                                  full.test_labels, steps=steps, batch_size=64, lr=3e-3, seed=run.config.seed)
    return measure


def _assignments(run, data):
    """Each training image of `data` (what the run trained on) assigned to its nearest SwAV
    prototype (argmax of the scores of its l2-normalised embedding z), and the count K."""
    import torch
    import torch.nn.functional as F
    z = _embedded(run, data)[0][1].float()
    protos = F.normalize(run.model.prototypes.weight.detach().float().to(z.device), dim=1)
    return (F.normalize(z, dim=1) @ protos.T).argmax(1), protos.shape[0]


def _prototype_balance(run, data, full) -> float:
    """How evenly the training images spread over SwAV's prototypes: the entropy of the
    assignment histogram over log K (1 = every prototype used equally, 0 = one takes all).
    The uniform prior of Sinkhorn's equal partition pushes it to 1 whatever the classes do."""
    import math
    import torch
    assign, k = _assignments(run, data)
    p = torch.bincount(assign, minlength=k).float() / len(assign)
    p = p[p > 0]
    return float(-(p * p.log()).sum()) / math.log(k)


def _prototypes_of_majority(run, data, full) -> float:
    """The fraction of SwAV's prototypes whose images are mostly of the training set's most
    common class: 1/K-ish on balanced data; more when equal-sized clusters split a dominant
    class (and lump the rare ones together)."""
    import torch
    assign, k = _assignments(run, data)
    labels = data.train_labels.to(assign.device)
    common = int(torch.bincount(labels).argmax())
    used = [c for c in range(k) if (assign == c).any()]
    return sum(int(torch.bincount(labels[assign == c]).argmax()) == common for c in used) / k


def _patch_factor(factor: str):
    """Linear-probe accuracy of one factor of `shapes` read from the tiny ViT's final patch
    tokens, concatenated in grid order (the "feature map": where each thing is, if the tokens
    keep it), fitted on every training image of the full data (`evaluate.factor_probes`)."""
    def measure(run, data, full) -> float:
        import torch

        from .. import evaluate
        vit = run.model.backbone
        if not hasattr(vit, "encode"):
            raise ValueError(f"{factor}_probe_patches needs a tiny-ViT run, not backbone={run.config.backbone!r}")
        device = next(vit.parameters()).device

        def patches(x):
            return vit.encode(vit.tokens(x))[:, 1:].flatten(1)
        with torch.no_grad():
            train = evaluate.embed(patches, full.train_images.to(device))
            test = evaluate.embed(patches, full.test_images.to(device))
        return evaluate.factor_probes(train, {factor: full.train_factors[factor]},
                                      test, {factor: full.test_factors[factor]})[factor]
    return measure


def _msn_in_use(which: str):
    """MSN's effective number of prototypes in use on the full data's test images
    (`MSN.prototypes_in_use`): its teacher's targets or its student's anchors."""
    def measure(run, data, full) -> float:
        import torch

        from .. import evaluate
        model = run.model.eval()
        if not hasattr(model, "prototypes_in_use"):
            raise ValueError(f"{which}_prototypes_in_use needs an msn run, not method={run.config.method!r}")
        device = next(model.parameters()).device
        with torch.no_grad():
            return model.prototypes_in_use(evaluate.to_float(full.test_images[:2048]).to(device))[which]
    return measure


# measures a grid can ask for: name -> fn(trained run, the data it trained on, the grid's full data) -> number
MEASURES = {
    "linear_acc_z": lambda run, data, full: _probe(run, data, output=1),   # the embedding z the loss sees
    "linear_acc_full": lambda run, data, full: _probe(run, full),          # probe fitted on all of the full data
    "knn_acc_full": lambda run, data, full: _probe(run, full, knn=True),
    "linear_acc_shapes": _on_dataset("shapes"),
    **{f"labelled{k}_linear_acc": _few_labels(k) for k in (1, 5, 20, 100)},
    "fine_tune300_acc": _fine_tune(300),
    "linear_acc_h_sub": _h_part(True),     # the first embedding_dim coordinates of h (DirectCLR's z)
    "linear_acc_h_rest": _h_part(False),   # the other coordinates of h
    "prototype_balance": _prototype_balance,
    "prototypes_of_majority": _prototypes_of_majority,
    **{f"{f}_probe_{out}": _factor(f, i) for f in ("shape", "colour", "background", "size", "position")
       for i, out in enumerate("hz")},
    **{f"{f}_probe_patches": _patch_factor(f) for f in ("shape", "position")},  # tiny-ViT runs only
    **{f"{w}_prototypes_in_use": _msn_in_use(w) for w in ("targets", "anchors")},  # MSN runs only
}


def _long_tailed(data, ratio, size, seed):
    from ..data import long_tailed
    return long_tailed(data, ratio, size, seed=seed)


# subsets a grid can train on: name -> fn(full data, **arguments, seed) -> ImageData
SUBSETS = {
    "labelled": lambda data, per_class, seed: data.labelled(per_class, seed=seed),
    "long_tailed": _long_tailed,
}
