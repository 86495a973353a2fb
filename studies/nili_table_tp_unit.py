# Device-level Fig. 2 protocol (14 uS start, 50 mV ramp from 0.2 V, 20 % change; then reset from >50 uS) (no circuit, read = state) for the table model,
# under three readings of tp's unit: the 1 ms pulse as L = ln(1e-3) (seconds),
# ln(1) (milliseconds), ln(1e3) (microseconds).
import math, random, statistics as st
# Reads the coefficient lists of models/tio2x_nili2020_table.lib.
# Run from the repository root: python3 studies/nili_table_tp_unit.py
import re
lib=open('models/tio2x_nili2020_table.lib').read()
col=dict((k,[float(x.replace('u','e-6')) for x in v.split(',')]) for k,v in re.findall(r'(\w+)="([^"]*)"',lib))
E=[x*1e6 for x in col['g0bins']]
K=[f'{c}{i}{s}' for s in 'sr' for c in 'cd' for i in range(5)]
T=[[col[k][b] for k in K] for b in range(8)]
def coef(g):
    gu=g*1e6
    k=0
    for i in range(1,8):
        if gu>=E[i]: k=i
    return T[k]
def dg(g,v,L,n):
    r=coef(g)
    if v>0:
        d=r[0]*(1-math.tanh(r[1]*(L-r[2])))*(math.tanh(r[3]*v-r[4])+1); p=r[5:10]
    else:
        d=r[10]*(-1-math.tanh(r[11]*(L-r[12])))*(math.tanh(r[13]*v-r[14])-1); p=r[15:20]
    poly=p[0]+p[1]*L*L+p[2]*v*L+p[3]*v*v*L+p[4]*v**3
    return d+n*d*poly
def clamp(g): return min(max(g,3.16e-6),316e-6)
def run(L,N=3000,seed=1):
    rnd=random.Random(seed); S=[];R=[];bad=0
    for _ in range(N):
        n=rnd.gauss(0,1); g=14e-6; vs=None
        v=0.2
        while v<=2.5+1e-9:
            g=clamp(g+dg(g,v,L,n))
            if vs is None and abs(g-14e-6)>0.2*14e-6: vs=v
            if g>50e-6: break
            v+=0.05
        if vs is None or g<=50e-6: bad+=1; continue
        g0=g; vr=None; v=-0.2
        while v>=-2.5-1e-9:
            g=clamp(g+dg(g,v,L,n))
            if vr is None and abs(g-g0)>0.2*g0: vr=v
            if g<=14e-6: break
            v-=0.05
        if vr is None: bad+=1; continue
        S.append(vs);R.append(vr)
    try: c=st.correlation(S,[-r for r in R])
    except Exception: c=float("nan")
    return st.mean(S),st.pstdev(S),st.mean(R),st.pstdev(R),c,bad
for name,L in [('s',math.log(1e-3)),('ms',math.log(1.0)),('us',math.log(1e3))]:
    m=run(L)
    print(f"tp read in {name:2s} (L={L:6.2f}): set {m[0]:.3f} +- {m[1]:.3f} V, reset {m[2]:.3f} +- {m[3]:.3f} V, corr {m[4]:.2f}, unswitchable {m[5]}/3000")
