"""DIR/timeline.svg: the campaign at a glance: SMTP attempts per second stacked by class,
the faults as bands over them, and which node held the group along the bottom.

Pure: a history in, SVG text out (no plotting library: the picture is simple and the
campaign must run on a bare Debian machine).
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from chaos.history import (
    ACCEPTED,
    ATTEMPT_CLASSES,
    NO_CONNECTION,
    NO_REPLY,
    REFUSED,
    History,
    describe,
)

COLOURS = {ACCEPTED: "#2e8b57", REFUSED: "#e6a100", NO_CONNECTION: "#c0392b",
           NO_REPLY: "#6c3483"}
NODE_COLOURS = ("#1f77b4", "#ff7f0e", "#9467bd", "#17becf")
WIDTH, HEIGHT = 1200, 420
LEFT, RIGHT, TOP, PLOT_H = 60, 20, 30, 280
HOLDER_Y = TOP + PLOT_H + 40


def render(history: History, title: str) -> str:
    end = max([a.t for a in history.attempts] + [f.ended_at or f.injected_at
                                                  for f in history.faults] + [1.0])
    seconds = int(end) + 1
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in history.attempts:
        counts[int(a.t)][a.cls] += 1
    peak = max([sum(c.values()) for c in counts.values()] + [1])
    plot_w = WIDTH - LEFT - RIGHT

    def x(t: float) -> float:
        return LEFT + plot_w * t / seconds

    def y(n: float) -> float:
        return TOP + PLOT_H - PLOT_H * n / peak

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT}" y="18" font-size="13">{escape(title)}</text>']
    for f in history.faults:
        # the band: from the injection until the fault was healed or the service was
        # back, whichever came later (until the window's end if it never came back)
        end_f = max(f.healed_at or f.injected_at,
                    f.injected_at + f.recovered_s if f.recovered_s is not None
                    else (f.ended_at or f.injected_at))
        colour = "#f5b7b1" if (f.needed_human or f.recovered_s is None or f.end_state) \
            else "#d6eaf8"
        out.append(f'<rect x="{x(f.injected_at):.1f}" y="{TOP}" '
                   f'width="{max(1.0, x(end_f) - x(f.injected_at)):.1f}" height="{PLOT_H}" '
                   f'fill="{colour}"><title>{escape(describe(f))}</title></rect>')
        out.append(f'<text x="{x(f.injected_at) + 2:.1f}" y="{TOP + 10}" font-size="9" '
                   f'transform="rotate(90 {x(f.injected_at) + 2:.1f} {TOP + 10})">'
                   f'{escape(f.cls)}</text>')
    bar = max(0.5, plot_w / seconds)
    for second, by_class in sorted(counts.items()):
        base = 0
        for cls in ATTEMPT_CLASSES:
            n = by_class.get(cls, 0)
            if not n:
                continue
            out.append(f'<rect x="{x(second):.1f}" y="{y(base + n):.1f}" width="{bar:.1f}" '
                       f'height="{y(base) - y(base + n):.1f}" fill="{COLOURS[cls]}"/>')
            base += n
    out.append(f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{WIDTH - RIGHT}" '
               f'y2="{TOP + PLOT_H}" stroke="black"/>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + PLOT_H}" stroke="black"/>')
    out.append(f'<text x="{LEFT - 5}" y="{TOP + 4}" text-anchor="end">{peak}/s</text>')
    out.append(f'<text x="{LEFT - 5}" y="{TOP + PLOT_H}" text-anchor="end">0</text>')
    step = max(10, (seconds // 10 // 10 + 1) * 10)
    for t in range(0, seconds + 1, step):
        out.append(f'<text x="{x(t):.1f}" y="{TOP + PLOT_H + 14}" '
                   f'text-anchor="middle">{t} s</text>')
    nodes = sorted({n for _t, n in history.holders if n})
    colour_of = {n: NODE_COLOURS[i % len(NODE_COLOURS)] for i, n in enumerate(nodes)}
    out.append(f'<text x="{LEFT - 5}" y="{HOLDER_Y + 12}" text-anchor="end">group on</text>')
    for i, (t, node) in enumerate(history.holders):
        until = history.holders[i + 1][0] if i + 1 < len(history.holders) else end
        fill = colour_of.get(node or "", "#dddddd")
        out.append(f'<rect x="{x(t):.1f}" y="{HOLDER_Y}" width="{max(0.5, x(until) - x(t)):.1f}"'
                   f' height="16" fill="{fill}"><title>{escape(node or "nowhere")} from '
                   f'{t:.0f} s</title></rect>')
    legend_y = HOLDER_Y + 40
    lx = LEFT
    for label, colour in [*((c, COLOURS[c]) for c in ATTEMPT_CLASSES),
                          *((f"on {n}", colour_of[n]) for n in nodes),
                          ("nowhere", "#dddddd"), ("fault", "#d6eaf8"),
                          ("fault, not back by itself", "#f5b7b1")]:
        out.append(f'<rect x="{lx}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{lx + 14}" y="{legend_y}">{escape(label)}</text>')
        lx += 14 + 7 * len(label) + 16
    out.append("</svg>")
    return "\n".join(out) + "\n"

