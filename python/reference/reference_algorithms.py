"""The algorithms of python/reference/reference_attacks.py: poisonsim's direct gradient method (autograd
engine) and generative method (G's training by both rules, selection, generation), in PyTorch, as
attackers/direct/direct_gradient.cpp, generator_net.cpp and generative.cpp compute them."""

import numpy as np
import torch
import torch.nn.functional as F

SELECT_BATCH = 32  # the victim's retraining batch in damage measurements
FORWARD_BATCH = 1024  # G forward passes without gradients
SPREAD_SAMPLES = 500  # pairwise distances over at most this many outputs
EVAL_BATCH = 1024


# ---- the target as a pure function of its weights (pipeline/model/torch_model.cpp) ----


def forward(spec, params, images):
    x = images
    p = 0
    if spec["kind"] == "cnn":
        for _ in spec["conv_channels"]:
            x = F.conv2d(x, params[p], params[p + 1], stride=1, padding=spec["kernel_size"] // 2)
            x = F.max_pool2d(F.relu(x), 2)
            p += 2
    x = x.flatten(1)
    hidden = len(spec["hidden"])
    for i in range(hidden + 1):
        x = F.linear(x, params[p], params[p + 1])
        p += 2
        if i < hidden:
            x = F.relu(x)
    return x


def sgd_step(spec, params, images, labels, lr, create_graph):
    loss = F.cross_entropy(forward(spec, params, images), labels)
    grads = torch.autograd.grad(loss, params, retain_graph=create_graph, create_graph=create_graph)
    return [p - lr * g for p, g in zip(params, grads)]


def leaves(params):
    """Fresh leaves with the same values. Nothing is ever updated in place (every step makes
    new tensors), so they may share storage with `params`: no copy."""
    return [p.detach().requires_grad_(True) for p in params]


def evaluate_accuracy(spec, params, images, labels):
    with torch.no_grad():
        correct = 0
        for first in range(0, images.shape[0], EVAL_BATCH):
            logits = forward(spec, params, images[first:first + EVAL_BATCH])
            correct += int((logits.argmax(1) == labels[first:first + EVAL_BATCH]).sum())
    return correct / max(images.shape[0], 1)


# ---- labels and random draws (attackers/common/poison_labels.cpp, label_flip.cpp) ----


def poison_labels(labels, rule, classes, rng):
    if rule == "seed":
        return labels.clone()
    if rule == "next-class":
        return (labels + 1) % classes
    shift = torch.from_numpy(rng.integers(1, classes, size=labels.shape[0]))
    return (labels + shift) % classes  # a uniformly drawn other class


def draw(count, size, rng):
    """Indices of `count` samples from `size`: reshuffled passes, as draw_seed_samples."""
    parts = []
    while sum(len(p) for p in parts) < count:
        parts.append(rng.permutation(size)[: count - sum(len(p) for p in parts)])
    return torch.from_numpy(np.concatenate(parts).astype(np.int64))


# ---- the direct gradient method, autograd engine (attackers/direct/direct_gradient.cpp) ----


def direct_objective(spec, params, poison, labels, val_x, val_y, lr, unroll_steps, with_grad):
    n = poison.shape[0]
    steps = min(max(unroll_steps, 1), max(n, 1))
    w = params
    for k in range(steps):
        begin, end = n * k // steps, n * (k + 1) // steps
        w = sgd_step(spec, w, poison[begin:end], labels[begin:end], lr, with_grad)
    grad = None
    if with_grad:
        logits = forward(spec, w, val_x)
        loss = F.cross_entropy(logits, val_y)
        grad = torch.autograd.grad(loss, poison)[0]
    else:
        with torch.no_grad():
            logits = forward(spec, w, val_x)
            loss = F.cross_entropy(logits, val_y)
    with torch.no_grad():
        accuracy = logits.argmax(1).eq(val_y).double().mean().item()
    return loss.item(), accuracy, grad


def ascent_step(poison, grad, o):
    with torch.no_grad():
        norms = grad.flatten(1).norm(2, 1).clamp_min(1e-12)
        shape = [grad.shape[0]] + [1] * (grad.dim() - 1)
        poison.add_(grad / norms.view(shape), alpha=o["step_size"])
        if o["project"]:
            poison.clamp_(0.0, 1.0)


def direct_attack(spec, params, seeds, labels, val_x, val_y, o, lr):
    """Returns the poison and the mean objective per iteration over groups."""
    params = [p.detach().requires_grad_(True) for p in params]
    out = seeds.clone()
    entries = o["iterations"] + 1
    objective = [0.0] * entries
    groups = 0
    for first in range(0, seeds.shape[0], o["group_size"]):
        poison = seeds[first:first + o["group_size"]].clone().requires_grad_(True)
        group_labels = labels[first:first + o["group_size"]]
        trace = []
        for done in range(entries):
            last = done + 1 == entries
            loss, _, grad = direct_objective(spec, params, poison, group_labels, val_x, val_y, lr,
                                             o["unroll_steps"], not last)
            trace.append(loss)
            if last:
                break
            if done > 0 and o["tolerance"] > 0 and trace[done] - trace[done - 1] < o["tolerance"]:
                break
            ascent_step(poison, grad, o)
        for e in range(entries):
            objective[e] += trace[min(e, len(trace) - 1)]
        out[first:first + poison.shape[0]] = poison.detach()
        groups += 1
    return out, [v / max(groups, 1) for v in objective]


# ---- the generative method (attackers/generative/generator_net.cpp, generative.cpp) ----


class Generator:
    def __init__(self, spec, input_shape, weights):
        self.spec = spec
        self.input_shape = input_shape
        self.params = [w.clone().requires_grad_(True) for w in weights]

    def forward(self, images):
        p = self.params
        if self.spec["kind"] == "mlp":
            x = images.flatten(1)
            layers = len(p) // 2
            for i in range(layers):
                x = F.linear(x, p[2 * i], p[2 * i + 1])
                x = torch.relu(x) if i + 1 < layers else torch.sigmoid(x)
            return x.view(images.shape)
        levels = len(self.spec["conv_channels"])
        x = images
        for i in range(levels):
            x = torch.relu(F.conv2d(x, p[2 * i], p[2 * i + 1], stride=2, padding=1))
        for i in range(levels, 2 * levels):
            x = F.conv_transpose2d(x, p[2 * i], p[2 * i + 1], stride=2, padding=1)
            x = torch.relu(x) if i + 1 < 2 * levels else torch.sigmoid(x)
        return x

    def apply(self, seeds):
        with torch.no_grad():
            out = torch.empty_like(seeds)
            for first in range(0, seeds.shape[0], FORWARD_BATCH):
                out[first:first + FORWARD_BATCH] = self.forward(seeds[first:first + FORWARD_BATCH])
        return out

    def snapshot(self):
        return [p.detach().clone() for p in self.params]

    def restore(self, weights):
        with torch.no_grad():
            for p, w in zip(self.params, weights):
                p.copy_(w)


def retrain_accuracy(spec, params, poison, labels, val_x, val_y, lr, rng):
    """The victim's retraining: plain SGD, batch 32, one epoch, then validation accuracy."""
    w = [p.detach().clone().requires_grad_(True) for p in params]
    opt = torch.optim.SGD(w, lr=lr)
    order = torch.from_numpy(rng.permutation(poison.shape[0]))
    for first in range(0, poison.shape[0], SELECT_BATCH):
        index = order[first:first + SELECT_BATCH]
        loss = F.cross_entropy(forward(spec, w, poison.index_select(0, index)),
                               labels.index_select(0, index))
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
    return evaluate_accuracy(spec, w, val_x, val_y)


def train_generator(spec, params, gen, pool_x, pool_y, val_x_all, val_y_all, o, lr, rng):
    """One training of G (Trainer::run); returns the report."""
    original = [p.detach() for p in params]
    copy = leaves(original)
    classes = spec["num_classes"]
    vi = draw(min(o["validation_samples"], val_x_all.shape[0]), val_x_all.shape[0], rng)
    val_x, val_y = val_x_all.index_select(0, vi), val_y_all.index_select(0, vi)
    si = draw(o["select_samples"], pool_x.shape[0], rng)
    select_x = pool_x.index_select(0, si)
    select_y = poison_labels(pool_y.index_select(0, si), o["labels"], classes, rng)
    adam = torch.optim.Adam(gen.params, lr=o["lr"])
    report = {"rewards": [], "select_steps": [], "select_accuracy": [], "resets": 0}
    report["base_accuracy"] = evaluate_accuracy(spec, original, val_x, val_y)
    best, best_acc = None, None
    order, cursor = np.arange(pool_x.shape[0]), pool_x.shape[0]
    best_reward, since_best = -float("inf"), 0

    def select(step):
        nonlocal best, best_acc
        poison = gen.apply(select_x)
        accuracy = retrain_accuracy(spec, original, poison, select_y, val_x, val_y, lr, rng)
        report["select_steps"].append(step)
        report["select_accuracy"].append(accuracy)
        if best is None or accuracy < best_acc:
            best, best_acc = gen.snapshot(), accuracy
            report["selected_step"] = step

    def identity(x, poison):
        if o["identity_weight"] == 0:
            return torch.zeros(())
        return o["identity_weight"] * (poison - x).pow(2).mean()

    if o["select_every"] > 0:
        select(0)
    for step in range(1, o["steps"] + 1):
        index = []
        while len(index) < o["batch_size"]:
            if cursor == len(order):
                order, cursor = rng.permutation(pool_x.shape[0]), 0
            index.append(order[cursor])
            cursor += 1
        index = torch.tensor(index, dtype=torch.int64)
        x = pool_x.index_select(0, index)
        y = poison_labels(pool_y.index_select(0, index), o["labels"], classes, rng)
        poison = gen.forward(x)
        n, chunk = poison.shape[0], o["unroll_chunk"]
        if o["rule"] == "unrolled":
            objective, windows, steps_done, w = torch.zeros(()), 0, 0, leaves(copy)
            for first in range(0, n, chunk):
                w = sgd_step(spec, w, poison[first:first + chunk], y[first:first + chunk], lr, True)
                steps_done += 1
                if steps_done % o["unroll_steps"] != 0 and first + chunk < n:
                    continue
                validation_loss = F.cross_entropy(forward(spec, w, val_x), val_y)
                objective = objective + validation_loss
                reward = validation_loss.item()
                windows += 1
                w = leaves(w)
            copy = w
            loss = -objective / windows + identity(x, poison)
        else:
            frozen = poison.detach()
            for first in range(0, n, chunk):
                copy = leaves(sgd_step(spec, copy, frozen[first:first + chunk],
                                       y[first:first + chunk], lr, False))
            with torch.no_grad():
                reward = F.cross_entropy(forward(spec, copy, val_x), val_y).item()
            logits = forward(spec, [c.detach() for c in copy], poison)
            if o["first_order_objective"] == "ascend-loss":
                push = -F.cross_entropy(logits, y)
            else:
                push = F.cross_entropy(logits, (y + 1) % classes)
            loss = push + identity(x, poison)
        adam.zero_grad()
        loss.backward()
        adam.step()
        report["rewards"].append(reward)
        reset = False
        if o["rule"] == "unrolled":
            reset = step % o["copy_reset_every"] == 0
        elif reward > best_reward:
            best_reward, since_best = reward, 0
        else:
            since_best += 1
            reset = since_best >= o["reset_patience"]
        if reset:
            copy = leaves(original)
            best_reward, since_best = -float("inf"), 0
            report["resets"] += 1
        if o["select_every"] > 0 and (step % o["select_every"] == 0 or step == o["steps"]):
            select(step)
    if best is not None:
        gen.restore(best)
    a = gen.apply(select_x).flatten(1)
    b = select_x.flatten(1)
    report["mean_l2_from_seed"] = (a - b).norm(2, 1).mean().item()
    m = min(SPREAD_SAMPLES, a.shape[0])
    if m >= 2:
        report["mean_pairwise_l2"] = torch.pdist(a[:m]).mean().item()
        report["seed_pairwise_l2"] = torch.pdist(b[:m]).mean().item()
    return report
