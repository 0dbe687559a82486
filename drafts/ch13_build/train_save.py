import time, torch, sys
from vit_lit.model import create_vit
from vit_lit.data import load_digits_split
from vit_lit.train import fit, evaluate, random_shift
d = load_digits_split()
torch.manual_seed(0)
E=int(sys.argv[1])
m = create_vit("vit_digits_patch2_8")
t=time.perf_counter(); c=time.process_time()
h = fit(m, (d.x_train, d.y_train), eval_data=(d.x_test,d.y_test), epochs=E, augment=random_shift(1), progress=False)
print("wall", round(time.perf_counter()-t), "cpu", round(time.process_time()-c))
print([round(a,3) for a in h["eval_accuracy"]])
print([round(a,3) for a in h["train_accuracy"]])
torch.save(m.state_dict(), f"/tmp/ch13/model_{E}.pt")
