#!/usr/bin/env python3
"""The benchmark crossbar netlist: an N x N `.crossbar` of sinh devices
(beta 2.6, 55 uS), 2.5 ohm per segment, every row's west end driven through
10 ohm, every column's south end sensed through 10 ohm into a 0 V source
vs<j>, `.op`.

usage: card_net.py OUT N [VIN] [LINE...]
  VIN   the row drive, a number or a {param} (default 0.25)
  LINE  extra cards: `.param` lines go before the crossbar, the others
        before `.op` (e.g. ".step param vin lin 0.1 0.3 0.1")
Other scripts import `net()`.
"""
import sys


def net(n, vin="0.25", extra=()):
    L = [f"card {n}x{n}", ".model d memristor (level=sinh beta=2.6)"]
    L += [e for e in extra if e.startswith(".param")]
    L += [f".crossbar xb rows={n} cols={n} model=d rrow=2.5 rcol=2.5 g=55u"]
    for i in range(n):
        L += [f"vr{i} r{i} 0 {vin}", f"rd{i} r{i} xb.w{i} 10"]
    for j in range(n):
        L += [f"rs{j} xb.s{j} c{j} 10", f"vs{j} c{j} 0 0"]
    L += [e for e in extra if not e.startswith(".param")]
    L += [".op", ".end"]
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    vin = sys.argv[3] if len(sys.argv) > 3 else "0.25"
    open(sys.argv[1], "w").write(net(int(sys.argv[2]), vin, sys.argv[4:]))
