import time, torch, sys
torch.set_num_threads(1)
from vit_lit.model import create_vit
from vit_lit.data import load_digits_split
from vit_lit.train import fit, evaluate, random_shift
d = load_digits_split()
torch.manual_seed(0)
E, lr, bs, std = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
m = create_vit("vit_digits_patch2_8")
with torch.no_grad(): m.embed.pos_embed.normal_(std=std)
t=time.perf_counter(); c=time.process_time()
h = fit(m, (d.x_train, d.y_train), eval_data=(d.x_test,d.y_test), epochs=E, lr=lr, batch_size=bs, augment=random_shift(1), progress=False)
print(sys.argv[1:], "wall", round(time.perf_counter()-t), "cpu", round(time.process_time()-c))
print([round(a,3) for a in h["eval_accuracy"]])
