"""The memory of a Selenium-driven Chromium, counted so that shared pages are not counted twice.

Chromium is several processes (browser, zygotes, GPU/viz, network and storage utilities, a
renderer per site). Summing their RSS counts every shared page (the 200 MB browser binary's
mapped text, shared memory between renderer and viz) once per process that maps it, which
inflates the figure several times. The metric here is the proportional set size: PSS
(/proc/PID/smaps_rollup) charges a page shared by n processes 1/n to each, so the PSS of all the
browser's processes adds up to the memory the browser really holds. It is reported as:

- `browser_pss_mb`: PSS summed over every process of this driver's browser (the headline figure:
  what the browser holds with the page open);
- `page_renderer_pss_mb` / `page_renderer_private_mb`: the page's renderer(s) alone; private =
  Private_Clean + Private_Dirty (pages no other process maps, i.e. what closing the tab frees);
- `by_type_pss_mb`: the PSS per process type (browser, renderer, gpu-process, utility, zygote...).

Only processes below the chromedriver process are counted: other browsers on the machine are not.
"""
import os
import re

_KEYS = ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Pss_Anon", "Pss_File", "Pss_Shmem")


def descendants(root):
    """Pids of every process below `root` (from /proc's parent links)."""
    children = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/stat" % pid) as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(pid))
            except (OSError, ValueError, IndexError):
                continue
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _rollup(pid):
    values = dict.fromkeys(_KEYS, 0)
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            key = parts[0].rstrip(":")
            if key in values:
                values[key] = int(parts[1])
    return values


def _kind(cmd):
    """The process's type from its command line (Chromium rewrites its children's command
    lines into one space-separated string, so the flags are searched, not split on NULs)."""
    if re.split(rb"[\0 ]", cmd, maxsplit=1)[0].endswith(b"chromedriver"):
        return None
    match = re.search(rb"--type=([a-z-]+)", cmd)
    if not match:
        return "browser"
    kind = match.group(1).decode()
    if kind == "renderer" and (b"--extension-process" in cmd or b"--top-chrome-webui" in cmd):
        return "renderer-ui"
    if kind == "utility":
        sub = re.search(rb"--utility-sub-type=([A-Za-z0-9_.-]+)", cmd)
        if sub:
            kind = "utility:" + sub.group(1).decode().split(".")[-1]
    return kind


def browser_memory(driver):
    """The memory figures of the driver's browser, in MB (see the module's doc)."""
    total = dict.fromkeys(_KEYS, 0)
    renderer = dict.fromkeys(_KEYS, 0)
    by_type = {}
    for pid in descendants(driver.service.process.pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read()
            kind = _kind(cmd)
            if kind is None:
                continue
            values = _rollup(pid)
        except OSError:
            continue
        for k in _KEYS:
            total[k] += values[k]
        by_type[kind] = by_type.get(kind, 0) + values["Pss"]
        if kind == "renderer":
            for k in _KEYS:
                renderer[k] += values[k]
    mb = lambda kb: round(kb / 1024, 1)  # noqa: E731
    return {
        "browser_pss_mb": mb(total["Pss"]),
        "browser_rss_sum_mb": mb(total["Rss"]),
        "page_renderer_pss_mb": mb(renderer["Pss"]),
        "page_renderer_private_mb": mb(renderer["Private_Clean"] + renderer["Private_Dirty"]),
        "page_renderer_pss_anon_mb": mb(renderer["Pss_Anon"]),
        "page_renderer_pss_shmem_mb": mb(renderer["Pss_Shmem"]),
        "by_type_pss_mb": {k: mb(v) for k, v in sorted(by_type.items())},
    }
