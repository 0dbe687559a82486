import time, math, torch, torch.nn.functional as F
from vit_lit.model import create_vit
from vit_lit.data import load_digits_split
torch.manual_seed(0)
d = load_digits_split()
m = create_vit("vit_digits_patch2_8")
print(sum(p.numel() for p in m.parameters()))
opt = torch.optim.AdamW(m.parameters(), lr=2e-3, weight_decay=0.05)
E=40; bs=64; steps=E*math.ceil(1437/bs); warm=3*math.ceil(1437/bs)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s+1)/warm if s<warm else 0.5*(1+math.cos(math.pi*(s-warm)/(steps-warm))))
t0=time.time()
def shift(x):
    pad = F.pad(x,(1,1,1,1))
    i,j = torch.randint(0,3,(2,))
    return pad[...,i:i+8,j:j+8]
for e in range(E):
    m.train(); perm=torch.randperm(1437)
    for k in range(0,1437,bs):
        idx=perm[k:k+bs]; x=shift(d.x_train[idx]); y=d.y_train[idx]
        loss=F.cross_entropy(m(x),y,label_smoothing=0.1)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    m.eval()
    with torch.no_grad(): acc=(m(d.x_test).argmax(1)==d.y_test).float().mean()
    print(e, round(time.time()-t0,1), loss.item(), acc.item())
