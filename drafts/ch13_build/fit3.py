import time, torch, sys
torch.set_num_threads(1)
import timm
from vit_lit.data import load_digits_split
from vit_lit.train import fit, evaluate, random_shift
d = load_digits_split()
torch.manual_seed(0)
m = timm.models.vision_transformer.VisionTransformer(img_size=8, patch_size=2, in_chans=1, embed_dim=64, depth=4, num_heads=4, mlp_ratio=2, num_classes=10, global_pool=sys.argv[1])
m.config = None
t=time.perf_counter(); c=time.process_time()
h = fit(m, (d.x_train, d.y_train), eval_data=(d.x_test,d.y_test), epochs=15, lr=5e-3, batch_size=64, augment=random_shift(1), progress=False)
print(sys.argv[1:], "wall", round(time.perf_counter()-t), "cpu", round(time.process_time()-c))
print([round(a,3) for a in h["eval_accuracy"]])
