"""The evidence grids, one per chapter experiment: `<chapter>.<experiment>` → `Grid`.

Each grid is the chapter's full-mode setting (the budget where its effect appears) with at
least three seeds. Changing a grid's base or values makes its stored runs stale: they are
left out when loaded and `python -m cookbook_lib evidence --grid NAME` trains the new ones.
"""
from __future__ import annotations

from . import Grid

# chapter 10's base run in full mode: SimCLR, the default 2-layer projector, 32-pixel shapes
_PROJECTOR = dict(method="simclr", dataset="shapes", image_size=32, batch_size=128, steps=300, log_every=25,
                  projector_depth=2, projector_width=512, embedding_dim=128)

# chapter 13's full-mode SimCLR: 32-pixel shapes, batch 128, 600 steps (chapter 03 reads it too)
_EVALUATION = dict(method="simclr", dataset="shapes", image_size=32, batch_size=128, steps=600, log_every=50)

# chapter 11's full-mode BYOL: 32-pixel shapes, batch 128, 300 steps, the optimiser written out and
# the predictor at the base lr (the library's recipe multiplies it by 10; here it is an axis)
_TEACHER = dict(method="byol", dataset="shapes", image_size=32, batch_size=128, steps=300, log_every=25,
                optimizer="adamw", lr=2e-3, weight_decay=1e-4, embedding_dim=128, ema_momentum=0.99,
                predictor_depth=2, predictor_lr_mult=1.0)

# chapter 02's full mode: every method at its defaults, 32-pixel shapes, batch 128, 300 steps
_ORIGINS = dict(dataset="shapes", image_size=32, batch_size=128, steps=300)

# chapter 12's full mode: SimCLR on 32-pixel shapes, every run seeing 38,400 images
_HYPER = dict(method="simclr", dataset="shapes", image_size=32, log_every=25)
_SMALL = dict(_HYPER, batch_size=16, steps=2400)
# chapter 12's tiny ViT on 16-pixel digits
_VIT = dict(method="simclr", dataset="digits", image_size=16, backbone="vit_tiny", patch_size=4, representation_dim=64,
            batch_size=64, steps=300, log_every=37)

# chapter 01's full mode: SimCLR pretrained for 1,500 steps on the 8,192 unlabelled shapes and probed with
# k labels per class, against a supervised network trained from scratch on the same k labels per class
_WHY = dict(dataset="shapes", image_size=32, batch_size=128)
_FEW_LABELS = tuple(f"labelled{k}_linear_acc" for k in (1, 5, 20, 100))

# chapter 08's full mode: SimCLR, 32-pixel images, batch 128, 500 steps, on 2,048-image pretraining sets
_DATA = dict(method="simclr", image_size=32, batch_size=128, steps=500)

# chapter 09's full mode: SimCLR on 32-pixel shapes, batch 128, 300 steps, the optimiser written out; only the
# colour augmentations change. Each run is probed for every generative factor from h and from z.
_AUG = dict(method="simclr", dataset="shapes", image_size=32, batch_size=128, steps=300, log_every=25,
            optimizer="adamw", lr=2e-3, weight_decay=1e-4, temperature=0.1, embedding_dim=128)
_FACTORS = tuple(f"{f}_probe_{o}" for f in ("shape", "colour", "background", "size", "position") for o in "hz")

# chapter 07's full mode: SimCLR, VICReg and DINO on 32-pixel shapes, batch 128, 1,000 steps
_THEORY = dict(dataset="shapes", image_size=32, batch_size=128, steps=1000)

# chapter 06's full mode: MAE on 16-pixel digits, 4-pixel patches, a ViT 64 wide, batch 64, 2,000 steps
_MAE = dict(method="mae", dataset="digits", image_size=16, patch_size=4, representation_dim=64, batch_size=64,
            mask_ratio=0.75)

# chapter 16's DINO on the tiny ViT (16-pixel shapes, 4-pixel patches), for iBOT's patch loss
_IBOT = dict(method="dino", dataset="shapes", image_size=16, backbone="vit_tiny", patch_size=4, representation_dim=64,
             batch_size=64, steps=1000, log_every=100, projector_width=256, embedding_dim=64, num_prototypes=256)
_PATCH_READS = ("position_probe_patches", "shape_probe_patches", "shape_probe_h")

# chapter 16's MSN: chapter 06's tiny ViT, data and budget (its recipe: 32 prototypes, τ 0.1, half the patches masked)
_MSN = dict({k: v for k, v in _MAE.items() if k != "mask_ratio"}, method="msn", steps=2000, log_every=250)
_MSN_READS = ("targets_prototypes_in_use", "anchors_prototypes_in_use")

GRIDS: dict[str, Grid] = {g.name: g for g in (
    Grid("01_why_ssl.simclr", dict(_WHY, method="simclr"), {"steps": [0, 1500]}, measures=_FEW_LABELS,
         claim="frozen SimCLR features (steps 1500) and random-init ones (steps 0), probed with 1, 5, 20 and 100 "
               "labels per class (10 draws each) (§1; Chen et al. 2020 on few-label probes)"),
    Grid("01_why_ssl.supervised", dict(_WHY, method="supervised", steps=400), {"per_class": [1, 5, 20, 100]},
         subset="labelled",
         claim="the same convnet trained from scratch with labels on k images per class, one draw per seed"),
    Grid("06_masked_modeling.protocols", dict(_MAE, steps=2000), {"method": ["mae"]},
         measures=("fine_tune300_acc",),
         claim="MAE (mask ratio 0.75) on the tiny ViT under both protocols of §3.7: linear probe and a 300-step "
               "fine-tune (He et al. 2021: MAE's probe is below contrastive methods', its fine-tune above); "
               "SimCLR on the same ViT is .simclr_vit"),
    Grid("06_masked_modeling.simclr_vit", dict(_MAE, steps=2000, method="simclr"), {"backbone": ["vit_tiny"]},
         measures=("fine_tune300_acc",),
         claim="SimCLR on MAE's tiny ViT (the backbone set explicitly: a joint-embedding method's default is the "
               "convnet), same data, batch and budget, under both protocols: the joint-embedding side of §3.6's "
               "comparison"),
    Grid("06_masked_modeling.random_init", _MAE, {"steps": [0]}, measures=("fine_tune300_acc",),
         claim="the tiny ViT at random init under both protocols: the floor"),
    Grid("07_theory_and_dimensional_collapse.equal_width", _THEORY,
         {"method": ["simclr", "vicreg", "dino"], "embedding_dim": [256], "steps": [0, 1000]},
         claim="RankMe of the backbone output h and of the projector output z at the same width (256), trained "
               "and at random init: does the embedding lose directions the representation keeps (§2.6, Fig. 9; "
               "Jing et al. 2022)?"),
    Grid("08_pretraining_data.long_tail", dict(_DATA, dataset="shapes"), {"ratio": [1, 200]}, subset="long_tailed",
         subset_args={"size": 2048}, measures=("linear_acc_full", "knn_acc_full"),
         claim="SimCLR pretrained on a long-tailed 2,048-image draw of shapes, probed with balanced labels (_full) "
               "and with the draw's own labels (linear_acc) (§2.7; Liu et al. 2021)"),
    Grid("08_pretraining_data.swav_prior", dict(_DATA, dataset="shapes", method="swav", num_prototypes=6),
         {"ratio": [1, 200]}, subset="long_tailed", subset_args={"size": 2048},
         measures=("linear_acc_full", "prototype_balance", "prototypes_of_majority"),
         claim="SwAV with as many prototypes as classes on a long-tailed draw: the equal partition keeps every "
               "prototype in use, so the common class is split over several and the rare ones lumped (§3.3; "
               "Assran et al. 2022)"),
    Grid("09_augmentation.no_jitter", dict(_AUG, jitter_prob=0.0), {"grayscale_prob": [0.0, 0.5]},
         measures=_FACTORS,
         claim="crop only (grayscale 0) and the budget recipe crop + grayscale (0.5): what h and z keep of each "
               "factor of shapes (§3.1; Chen et al. 2020, Fig. 5)"),
    Grid("09_augmentation.multicrop", dict(_AUG, method="swav", jitter_strength=1.0, jitter_prob=0.8, grayscale_prob=0.2,
                                           small_crop_size=16), {"num_small_crops": [0, 2]},
         claim="SwAV with two extra 16-pixel views against two views alone, at the same steps (multi-crop, §2.4)"),
    Grid("09_augmentation.crop", _AUG, {"crop_min_scale": [0.08, 0.25, 0.5, 0.9, 1.0]},
         claim="invariance to views that are too different hurts: accuracy against the smallest crop kept is an "
               "inverted U (the paper's §3.1; Tian et al. 2020, 'What makes for good views')"),
    Grid("09_augmentation.full", dict(_AUG, jitter_strength=1.0, jitter_prob=0.8), {"grayscale_prob": [0.2]},
         measures=_FACTORS, claim="SimCLR's full colour recipe: strong jitter and grayscale 0.2"),
    Grid("08_pretraining_data.digits", dict(_DATA, dataset="digits"), {"steps": [500]}, measures=("linear_acc_shapes",),
         claim="SimCLR pretrained on digits, probed on shapes: pretraining data far from the target (§2.7)"),
    Grid("02_origins.rotation", _ORIGINS,
         {"method": ["simclr", "rotation", "jigsaw", "inpainting"], "steps": [0, 300]},
         claim="the three pretext tasks (rotation prediction on shapes, where nothing has an 'up'; jigsaw; "
               "inpainting) against the random-init encoder (steps 0) and SimCLR at the same budget (§2.1; Gidaris "
               "et al. 2018, Noroozi & Favaro 2016, Pathak et al. 2016)"),
    Grid("02_origins.rotation_digits", dict(_ORIGINS, dataset="digits"), {"method": ["rotation"], "steps": [0, 300]},
         measures=("labelled1_linear_acc", "labelled5_linear_acc"),
         claim="rotation prediction on digits, which are drawn upright: the task is solvable there, and the "
               "features it learns beat the random-init encoder with few labels (§2.1; Gidaris et al. 2018)"),
    Grid("10_projector.depth", _PROJECTOR, {"projector_depth": [0, 1, 2]}, measures=("linear_acc_z",),
         claim="what a projector does to the backbone's linear accuracy (§3.2; SimCLR's Fig. 8) and to its "
               "effective rank, against the embedding the loss sees (Jing et al. 2022)"),
    Grid("10_projector.directclr", dict(_PROJECTOR, method="directclr"), {"steps": [300]},
         measures=("linear_acc_h_sub", "linear_acc_h_rest"),
         claim="DirectCLR (Jing et al. 2022): InfoNCE on a fixed sub-vector of the representation, no projector, "
               "against SimCLR with no, a linear or an MLP projector (10_projector.depth), same budget"),
    Grid("10_projector.embedding_dim", _PROJECTOR, {"method": ["simclr", "vicreg"], "embedding_dim": [16, 128, 1024]},
         claim="SimCLR and VICReg as the projector output grows (the paper's Fig. 11; Garrido et al. 2022): "
               "VICReg is the more sensitive of the two, but moderate sizes work"),
    Grid("10_projector.representation_dim", _PROJECTOR, {"representation_dim": [64, 256, 1024]},
         claim="a wider backbone output (representation_dim) gives a better representation, with the projector "
               "fixed (the paper's Fig. 12)"),
    Grid("13_evaluation.temperature", _EVALUATION, {"temperature": [0.05, 0.1, 0.2, 0.5, 1.0, 2.0]},
         claim="label-free criteria (RankMe, α-ReQ) against the linear probe for choosing SimCLR's temperature "
               "(§3.7, Fig. 13), and the alignment / uniformity trade-off along τ (§2.2, Wang & Isola 2020)"),
    Grid("12_hyperparameters.small_batch", _SMALL, {"method": ["simclr", "dcl"], "lr_scaling": ["linear", "sqrt"]},
         claim="at batch 16 and a fixed number of images seen, the lr scaling rule decides whether a contrastive "
               "method learns (§3.5; SimCLR appendix B.1; Yeh et al. 2022)"),
    Grid("12_hyperparameters.batch64", dict(_HYPER, batch_size=64, steps=600), {"lr_scaling": ["linear", "sqrt"]},
         claim="batch 64 against batch 16 at the same number of images seen, under each lr scaling rule"),
    Grid("03_contrastive.dcl_batch64", dict(_HYPER, method="dcl", batch_size=64, steps=600),
         {"lr_scaling": ["linear", "sqrt"]},
         claim="DCL at batch 64: with 12_hyperparameters.batch64 (SimCLR) and .small_batch (both at batch 16, the same "
               "images seen), whether DCL's lead over NT-Xent is a small-batch effect (Yeh et al. 2022)"),
    # the no-negatives control: is the small batch's deficit the lr rule's or the loss's (fewer negatives)?
    Grid("12_hyperparameters.vicreg_small_batch", dict(_SMALL, method="vicreg"), {"lr_scaling": ["linear", "sqrt"]},
         claim="VICReg, which has no negatives, at batch 16 and 38,400 images seen under each lr scaling rule: "
               "the control that tells the lr rule's effect from the negatives' (§3.5)"),
    Grid("12_hyperparameters.vicreg_batch64", dict(_HYPER, method="vicreg", batch_size=64, steps=600),
         {"lr_scaling": ["linear", "sqrt"]},
         claim="VICReg at batch 64, the same images seen: with .vicreg_small_batch, its batch-64 lead under each rule"),
    Grid("12_hyperparameters.equal_steps", dict(_HYPER, batch_size=16, steps=600, lr_scaling="sqrt"),
         {"method": ["simclr", "vicreg"]},
         claim="batch 16 at batch 64's 600 steps (a quarter of the images): with .batch64 and .vicreg_batch64, what "
               "a 4× batch buys at equal steps with and without negatives"),
    Grid("12_hyperparameters.optimizer", dict(_SMALL, lr_scaling="sqrt", lr=2e-3), {"optimizer": ["sgd"]},
         claim="SGD at AdamW's learning rate trains far more slowly (§3.5: an lr belongs to its optimiser)"),
    Grid("12_hyperparameters.lars", dict(_SMALL, lr_scaling="sqrt", optimizer="lars"), {"lr": [3.0, 0.3]},
         claim="LARS (You et al. 2017) at batch 16: at an lr retuned to this convnet and budget it trains like AdamW; "
               "at the paper's 0.3 per 256 images (§3.5, tuned for ResNet-50 over hundreds of epochs) it lags"),
    Grid("12_hyperparameters.random_init", _HYPER, {"steps": [0]}, claim="the random-init encoder: the floor"),
    Grid("12_hyperparameters.vit_bn", _VIT, {"projector_bn": [True, False]},
         claim="BatchNorm in the projector of a ViT keeps more directions in its output (§3.5); whether the "
               "backbone's features gain too changes with the seed at this budget"),
    Grid("11_teacher_student.predictor", _TEACHER,
         {"predictor_depth": [1, 2], "ema_momentum": [0.0, 0.99], "predictor_lr_mult": [1.0, 10.0]},
         claim="what keeps BYOL's embedding spread: a slow EMA teacher, a fast predictor (lr × 10) or an MLP "
               "predictor (§3.4; Grill et al. 2020 Table 5a and appendix; Chen & He 2020; Tian et al. 2021)"),
    Grid("11_teacher_student.no_predictor", _TEACHER, {"predictor_depth": [0]},
         claim="BYOL with its EMA teacher and no predictor: the reference DirectPred is compared with"),
    Grid("11_teacher_student.direct_pred", _TEACHER, {"direct_predictor": [True]},
         claim="DirectPred (Tian, Chen & Ganguli 2021): a predictor set from the embedding's correlation, not "
               "learned, with the EMA teacher"),
    Grid("16_jepa_era.ibot", _IBOT, {"ibot_weight": [0.0, 1.0]}, measures=_PATCH_READS,
         claim="DINO on the tiny ViT with and without iBOT's masked-patch loss (DINOv2's patch term): what a "
               "linear probe reads from the patch tokens (the shape's position and its class) and from the "
               "representation (Zhou et al. 2022; Oquab et al. 2023)"),
    Grid("16_jepa_era.vit_random_init", dict(_IBOT, steps=0), {"ibot_weight": [0.0]}, measures=_PATCH_READS,
         claim="the same tiny ViT at random init: the floor"),
    Grid("16_jepa_era.ijepa", dict({k: v for k, v in _MAE.items() if k != "mask_ratio"}, method="ijepa", steps=2000),
         {"num_target_blocks": [4]}, measures=("fine_tune300_acc",),
         claim="I-JEPA on the same tiny ViT, data and budget as chapter 06's MAE (06_masked_modeling.protocols): "
               "predicting hidden blocks in feature space against predicting their pixels, under the linear "
               "probe and a 300-step fine-tune (Assran et al. 2023)"),
    Grid("16_jepa_era.msn", _MSN, {"sinkhorn_iters": [3, 0]}, measures=_MSN_READS,
         claim="MSN on the same tiny ViT, data and budget, with its targets balanced by Sinkhorn (as its released "
               "code) and with the me-max term alone (as its loss is written): the prototypes the targets and the "
               "anchors use, and the linear probe (Assran et al. 2022)"),
    Grid("16_jepa_era.msn_random_init", dict(_MSN, steps=0), {"sinkhorn_iters": [3]}, measures=_MSN_READS,
         claim="the same MSN network at random init: the floor"),
)}
