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
