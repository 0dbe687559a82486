import matplotlib

matplotlib.use("Agg")


def interrupted_after(steps: int, augment):
    """`augment`, but a Ctrl-C (KeyboardInterrupt) at training step `steps` + 1: fit's checkpoint
    then holds the last complete epoch, as after a real interruption."""
    calls = [0]

    def step(images):
        calls[0] += 1
        if calls[0] > steps:
            raise KeyboardInterrupt
        return augment(images)
    return step


def shake(model, scale: float = 0.2, seed: int = 0):
    """`model` in eval mode with every parameter moved by `scale` x a standard normal draw: away from
    its initial value (LayerNorm ones, zero biases), so a mixed-up name shows in a comparison, and,
    with a large `scale`, attention far from uniform."""
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g))
    return model.eval()
