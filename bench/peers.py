#!/usr/bin/python3
"""Side-by-side benchmark: gradnet against its peers, PyTorch and dlib (protocol: bench/README.md; workloads: docs/benchmarks.md).

    /usr/bin/python3 bench/peers.py [W1 W2 W3 W4] [--threads 2] [--rounds 3] [--gradnet build/gradnet]
                                    [--skip-gradnet] [--skip-torch] [--skip-dlib]
                                    [--unset-openblas-env] [--json OUT] [--timeout S]
                                    [--w4-run RUNDIR] [--w4-torch-weights FILE]

For every workload and every round it runs gradnet, PyTorch and dlib one after the other
(gradnet, torch, dlib, gradnet, torch, dlib, ...), each under `/usr/bin/time -v` (peak RSS) and
with the same thread count:
    gradnet  build/gradnet train bench/configs/wN.toml --json --out DIR --set train.threads=N
    pytorch  /usr/bin/python3 PEERS/torch_bench.py WN --threads N
    dlib     bench/out/dlib_bench WN N   (built from PEERS/dlib_bench.cpp with the build
             line in that file's header, whenever the source or the line changed)
Seconds per epoch of one run = median of its epochs 2..N (epoch 1 is the warm-up); the figure
reported for a tool = median over rounds, with the min-max over rounds beside it. The ratio is
peer s/epoch / gradnet s/epoch: above 1 means gradnet is faster.

W4 is inference of a W3 model on the 10,000 test images; its "s/epoch" column is seconds per
pass over them:
    gradnet  build/gradnet eval RUNDIR --json (whole process: load, convert, forward,
             metrics), wall time and peak RSS from /usr/bin/time -v. RUNDIR is --w4-run, or a W3
             run of one epoch trained once per session (untimed) under bench/out/.
    pytorch  /usr/bin/python3 PEERS/torch_bench.py W4 --jit --threads N: eager, traced,
             scripted and optimize_for_inference variants, forward passes alone (median of 10
             after 2 warm-ups); the best variant's median is the figure, every variant in --json.
             Its weights are random unless --w4-torch-weights FILE (torch_bench.py W3 --save).
    dlib     has no W4.

Standard library only; installs nothing. Missing Debian packages are named (bench/setup-peers.sh
installs them). A workload gradnet cannot run yet (no bench/configs/wN.toml, or gradnet rejects
the config with exit code 2, e.g. an optimizer it lacks) is skipped with a note; --skip-gradnet
times the peers alone. Logs, the dlib binary and gradnet's run directories go to bench/out/
(git-ignored). Exit status: 0 all requested runs done or skipped with a note, 1 a run failed,
2 prerequisites missing or bad usage.
"""
import argparse
import datetime
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent          # the gradnet checkout
OUT = ROOT / "bench" / "out"                            # git-ignored
DATA = Path("/usr/share/datasets/fashion-mnist")        # what the peers read
DATA_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
              "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
TIME = "/usr/bin/time"
PYTHON = "/usr/bin/python3"                             # Debian's interpreter, with python3-torch

# Workloads the peers run; W4 (infer=True) evaluates a trained W3 model instead of training.
WORKLOADS = {
    "W1": dict(config="bench/configs/w1.toml", epochs=10,
               what="MLP 784-64-16-10 sigmoid/tanh, Xavier-uniform, SGD lr 0.1, batch 128, 10 epochs"),
    "W2": dict(config="bench/configs/w2.toml", epochs=5,
               what="MLP 784-512-256-10 ReLU, Kaiming-normal, Adam 1e-3, batch 128, 5 epochs"),
    "W3": dict(config="bench/configs/w3.toml", epochs=3,
               what="CNN conv32-pool-conv64-pool-fc128-dropout-fc10, Adam 1e-3, batch 128, 3 epochs (+1 timed)"),
    "W4": dict(config="bench/configs/w3.toml", epochs=1, infer=True,
               what="W3 inference on the 10,000 test images (gradnet eval: whole process; "
                    "PyTorch: best variant's forward passes)"),
}
TOOLS = ["gradnet", "pytorch", "dlib"]
OPENBLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
RECORDED_ENV = OPENBLAS_ENV + ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "ATEN_CPU_CAPABILITY", "GRADNET_DATA")

# Debian packages per side. libopenblas-dev is satisfied by any OpenBLAS -dev flavour.
PACKAGES_COMMON = ["time", "dataset-fashion-mnist"]
PACKAGES_TORCH = ["python3-torch", "python3-numpy"]
PACKAGES_DLIB = ["libdlib-dev", "libopenblas-dev", "g++", "pkg-config", "zlib1g-dev"]
OPENBLAS_DEV_FLAVOURS = ["libopenblas-dev", "libopenblas-openmp-dev", "libopenblas-pthread-dev",
                         "libopenblas-serial-dev"]

DLIB_FALLBACK_BUILD = ("g++ -O3 -march=native -std=c++17 -DNDEBUG dlib_bench.cpp -o /tmp/dlib_bench "
                       "$(pkg-config --cflags --libs dlib-1) -lopenblas -lz -lpthread")


def say(msg):
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------- prerequisites
def dpkg_installed(pkg):
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    except FileNotFoundError:
        return None  # not a Debian system: cannot tell
    return r.returncode == 0 and "install ok installed" in r.stdout


def missing_packages(args):
    wanted = list(PACKAGES_COMMON)
    if not args.skip_torch:
        wanted += PACKAGES_TORCH
    if not args.skip_dlib:
        wanted += PACKAGES_DLIB
    missing = []
    for p in wanted:
        if p == "libopenblas-dev":
            ok = any(dpkg_installed(f) for f in OPENBLAS_DEV_FLAVOURS)
        else:
            ok = dpkg_installed(p)
        if ok is False:
            missing.append(p)
    return missing


def check_prerequisites(args, peers_dir):
    problems = []
    missing = missing_packages(args)
    if missing:
        problems.append("missing Debian packages: " + " ".join(missing) + "\n  install them with: "
                        "bash bench/setup-peers.sh   (or: apt-get install -y " + " ".join(missing) + ")")
    if not os.access(TIME, os.X_OK):
        problems.append(f"{TIME} not found (Debian package: time)")
    absent = [f for f in DATA_FILES if not (DATA / f).is_file()]
    if absent:
        problems.append(f"Fashion-MNIST files missing in {DATA}: {' '.join(absent)} (Debian package: dataset-fashion-mnist)")
    if not args.skip_torch:
        if not os.access(PYTHON, os.X_OK):
            problems.append(f"{PYTHON} not found (the PyTorch peer runs with Debian's interpreter)")
        if not (peers_dir / "torch_bench.py").is_file():
            problems.append(f"PyTorch peer not found: {peers_dir / 'torch_bench.py'} (see --peers-dir)")
    if not args.skip_dlib and not (peers_dir / "dlib_bench.cpp").is_file():
        problems.append(f"dlib peer not found: {peers_dir / 'dlib_bench.cpp'} (see --peers-dir)")
    if not args.skip_gradnet:
        g = Path(args.gradnet)
        if not (g.is_file() and os.access(g, os.X_OK)):
            problems.append(f"gradnet binary not found: {g}\n  build it with: cmake -S . -B build && "
                            "cmake --build build -j2   (or pass --gradnet PATH, or --skip-gradnet to time the peers alone)")
    return problems


# ------------------------------------------------------------------------------------- dlib build
def dlib_build_line(src):
    """The g++ line from dlib_bench.cpp's header comment (continuation lines joined)."""
    lines = src.read_text(errors="replace").splitlines()[:40]
    for i, line in enumerate(lines):
        body = line.lstrip("/").strip()
        if body.startswith("g++ "):
            parts = [body]
            j = i
            while parts[-1].endswith("\\") and j + 1 < len(lines):
                parts[-1] = parts[-1][:-1].strip()
                j += 1
                parts.append(lines[j].lstrip("/").strip())
            return " ".join(parts), "header of " + src.name
    return DLIB_FALLBACK_BUILD, "built-in fallback (no g++ line found in the header of " + src.name + ")"


def build_dlib(peers_dir, binary):
    src = peers_dir / "dlib_bench.cpp"
    line, origin = dlib_build_line(src)
    cmd, n = re.subn(r"-o\s+\S+", "-o " + shlex.quote(str(binary)), line, count=1)
    if n == 0:
        cmd = line + " -o " + shlex.quote(str(binary))
    stamp = binary.with_suffix(".buildcmd")
    fresh = (binary.is_file() and stamp.is_file() and stamp.read_text() == cmd
             and binary.stat().st_mtime >= src.stat().st_mtime)
    if fresh:
        return dict(command=cmd, origin=origin, built=False)
    binary.parent.mkdir(parents=True, exist_ok=True)
    say(f"building the dlib peer (line from the {origin}):\n  cd {peers_dir} && {cmd}")
    t0 = time.monotonic()
    log = binary.with_suffix(".build.log")
    with open(log, "w") as f:
        r = subprocess.run(["bash", "-c", cmd], cwd=peers_dir, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise RuntimeError(f"building the dlib peer failed (exit {r.returncode}); see {log}")
    stamp.write_text(cmd)
    say(f"  built {binary} in {time.monotonic() - t0:.0f} s")
    return dict(command=cmd, origin=origin, built=True, build_seconds=round(time.monotonic() - t0, 1))


# ------------------------------------------------------------------------------------- running
def parse_time_v(text):
    """Fields of GNU time -v output that matter here."""
    out = {}
    m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", text)
    if m:
        out["max_rss_kib"] = int(m.group(1))
    for key, pat in (("user_s", r"User time \(seconds\):\s*([\d.]+)"),
                     ("system_s", r"System time \(seconds\):\s*([\d.]+)"),
                     ("cpu_percent", r"Percent of CPU this job got:\s*(\d+)%"),
                     ("exit_status", r"Exit status:\s*(\d+)")):
        m = re.search(pat, text)
        if m:
            out[key] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    m = re.search(r"Command terminated by signal (\d+)", text)
    if m:
        out["signal"] = int(m.group(1))
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*([\d:.]+)", text)
    if m:
        secs = 0.0
        for part in m.group(1).split(":"):
            secs = secs * 60 + float(part)
        out["elapsed_s"] = secs
    return out


def run_measured(cmd, env, cwd, timeout, log_base):
    """Runs cmd under /usr/bin/time -v; returns rc, stdout, stderr and the time -v fields."""
    log_base.parent.mkdir(parents=True, exist_ok=True)
    tfile = log_base.with_suffix(".time")
    if tfile.exists():
        tfile.unlink()
    full = [TIME, "-v", "-o", str(tfile)] + [str(c) for c in cmd]
    load0 = os.getloadavg()[0]
    t0 = time.monotonic()
    p = subprocess.Popen(full, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, errors="replace", start_new_session=True)
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the session we started: time and the program under it
        except ProcessLookupError:
            pass
        out, err = p.communicate()
    wall = time.monotonic() - t0
    log_base.with_suffix(".stdout").write_text(out)
    log_base.with_suffix(".stderr").write_text(err)
    tv = parse_time_v(tfile.read_text(errors="replace")) if tfile.exists() else {}
    rc = p.returncode  # time exits with its program's status
    if "signal" in tv:
        rc = -tv["signal"]
    return dict(rc=rc, timed_out=timed_out, stdout=out, stderr=err, wall_s=round(wall, 3),
                load1_start=load0, load1_end=os.getloadavg()[0], time_v=tv,
                log=str(log_base.relative_to(ROOT)) + ".{stdout,stderr,time}")


def result_line(stdout):
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise ValueError("no 'RESULT {...}' line on stdout")


def last_json_line(stdout):
    lines = [l for l in stdout.splitlines() if l.strip()]
    if not lines:
        raise ValueError("nothing on stdout (expected a JSON object as the last line)")
    obj = json.loads(lines[-1])
    if not isinstance(obj, dict):
        raise ValueError("last stdout line is JSON but not an object")
    return obj


def parse_w4(tool, stdout, wall_s):
    """W4 -> ([seconds per pass], accuracy, extra): gradnet's whole process, PyTorch's best variant."""
    if tool == "gradnet":
        r = last_json_line(stdout)
        if "accuracy" not in r:
            raise ValueError("gradnet eval's JSON has no 'accuracy'")
        return [wall_s], float(r["accuracy"]), {"examples": r.get("examples"), "loss": r.get("loss")}
    r = result_line(stdout)
    variants = r.get("variants") or {}
    if not variants:
        raise ValueError("no W4 variants in torch_bench.py's RESULT")
    best = min(variants, key=lambda k: variants[k]["median"])
    extra = {"peer": r.get("peer"), "threads": r.get("threads"), "best_variant": best,
             "variants": {k: {"median": v["median"], "min": v["min"], "max": v["max"], "accuracy": v["accuracy"]}
                          for k, v in variants.items()}}
    return [float(variants[best]["median"])], float(variants[best]["accuracy"]), extra


def parse_tool(tool, stdout):
    """-> (epoch_times, test_accuracy, extra) from one tool's stdout."""
    if tool == "gradnet":
        r = last_json_line(stdout)
        for k in ("epoch_seconds", "test_accuracy"):
            if k not in r:
                raise ValueError(f"gradnet's JSON has no '{k}'")
        extra = {k: r.get(k) for k in ("threads", "epochs", "train_loss", "val_accuracy", "test_loss",
                                        "run_dir", "total_seconds", "parameters")}
        return [float(x) for x in r["epoch_seconds"]], float(r["test_accuracy"]), extra
    r = result_line(stdout)
    extra = {k: r.get(k) for k in ("peer", "threads", "os_threads", "accuracy_epochs", "acc_per_epoch",
                                    "env")}
    extra["reported_median"] = r.get("median")
    return [float(x) for x in r["epoch_times"]], float(r["accuracy"]), extra


def per_run_seconds(epoch_times):
    timed = epoch_times[1:] if len(epoch_times) > 1 else epoch_times
    return statistics.median(timed), len(timed)


def tail(text, n=4):
    return " | ".join(l.strip() for l in text.strip().splitlines()[-n:])


# ------------------------------------------------------------------------------------- machine info
def cpu_generation(vendor, family, model):
    """AMD's core generation from family/model: it decides the ratios. Zen 5 runs 512-bit vectors at
    full width, Zen 4 in two halves, so gradnet's AVX-512 kernels gain over an AVX2 peer on Zen 5 and
    not on Zen 4 (the same cloud 'AMD EPYC' name covers both)."""
    try:
        family, model = int(family), int(model)
    except (TypeError, ValueError):
        return None
    if vendor != "AuthenticAMD":
        return None
    if family == 26:
        return "Zen 5"
    if family == 25:
        return "Zen 4" if 0x10 <= model <= 0x1F or 0x60 <= model <= 0x7F or 0xA0 <= model <= 0xAF else "Zen 3"
    return "Zen/Zen 2" if family == 23 else None


def machine_info():
    info = {}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        fields = dict((k.strip(), v.strip()) for k, _, v in
                      (l.partition(":") for l in lscpu.splitlines()) if _)
        info["cpu_model"] = fields.get("Model name")
        info["cpus"] = int(fields.get("CPU(s)", 0)) or None
        try:
            info["cores"] = int(fields["Core(s) per socket"]) * int(fields.get("Socket(s)", 1))
        except (KeyError, ValueError):
            info["cores"] = None
        info["cpu_family"], info["cpu_model_number"] = fields.get("CPU family"), fields.get("Model")
        info["cpu_generation"] = cpu_generation(fields.get("Vendor ID"), info["cpu_family"], info["cpu_model_number"])
        flags = fields.get("Flags", "").split()
        info["isa"] = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
        info["threads_per_core"] = fields.get("Thread(s) per core")
        info["hypervisor"] = fields.get("Hypervisor vendor")
    except FileNotFoundError:
        pass
    info["usable_cpus"] = len(os.sched_getaffinity(0))
    info["kernel"] = os.uname().release
    try:
        with open("/proc/meminfo") as f:
            info["mem_total_mib"] = int(f.readline().split()[1]) // 1024
    except OSError:
        pass
    for lib in ("libblas.so.3", "libopenblas.so.0"):
        p = Path("/usr/lib/x86_64-linux-gnu") / lib
        if p.exists():
            info[lib] = os.path.realpath(p)
    try:
        info["gradnet_commit"] = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                                capture_output=True, text=True).stdout.strip() or None
    except FileNotFoundError:
        pass
    try:
        info["dlib_version"] = subprocess.run(["pkg-config", "--modversion", "dlib-1"],
                                              capture_output=True, text=True).stdout.strip() or None
    except FileNotFoundError:
        pass
    return info


def w4_model(args, env, session, config, notes):
    """The W3 run gradnet's W4 evaluates: --w4-run, or one epoch of W3 trained now (untimed)."""
    if args.w4_run:
        return Path(args.w4_run).resolve()
    run_dir = session / "runs" / "w4-model"
    cmd = [args.gradnet, "train", config, "--json", "--out", run_dir, "--set", "train.epochs=1",
           "--set", f"train.threads={args.threads}"]
    say(f"[W4] training the model gradnet evaluates (one W3 epoch, untimed): {' '.join(map(str, cmd))}")
    r = run_measured(cmd, env, ROOT, args.timeout, session / "logs" / "w4-model-train")
    if r["rc"] != 0:
        notes.append(f"W4 gradnet skipped: training its W3 model failed (exit {r['rc']}): {tail(r['stderr'])}")
        say(f"bench/peers.py: {notes[-1]}")
        return None
    notes.append(f"W4: gradnet evaluates {run_dir.relative_to(ROOT)} (W3, 1 epoch); PyTorch's weights are "
                 + (args.w4_torch_weights if args.w4_torch_weights else "random (accuracy not comparable)"))
    return run_dir


# ------------------------------------------------------------------------------------- report
def fmt_s(x):
    return "-" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def summarize(runs, workloads, tools):
    summary = {}
    for wl in workloads:
        by_tool = {}
        for tool in tools:
            ok = [r for r in runs if r["workload"] == wl and r["tool"] == tool and r["status"] == "ok"]
            if not ok:
                continue
            secs = [r["s_per_epoch"] for r in ok]
            rss = [r["max_rss_mib"] for r in ok if r.get("max_rss_mib") is not None]
            accs = [r["test_accuracy"] for r in ok]
            by_tool[tool] = dict(rounds=len(ok), s_per_epoch=statistics.median(secs), min=min(secs), max=max(secs),
                                 test_accuracy=statistics.median(accs), test_accuracy_min=min(accs),
                                 test_accuracy_max=max(accs), peak_rss_mib=max(rss) if rss else None,
                                 per_round=secs)
        g = by_tool.get("gradnet")
        for tool, s in by_tool.items():
            if g and tool != "gradnet":
                s["ratio"] = s["s_per_epoch"] / g["s_per_epoch"]
                # paired by round (the runs alternate, so round k's runs saw similar machine load)
                gr = {r["round"]: r["s_per_epoch"] for r in runs
                      if r["workload"] == wl and r["tool"] == "gradnet" and r["status"] == "ok"}
                pr = [r["s_per_epoch"] / gr[r["round"]] for r in runs
                      if r["workload"] == wl and r["tool"] == tool and r["status"] == "ok" and r["round"] in gr]
                if pr:
                    s["ratio_per_round_min"], s["ratio_per_round_max"] = min(pr), max(pr)
        if by_tool:
            summary[wl] = by_tool
    return summary


def print_report(meta, summary, notes, runs):
    m = meta["machine"]
    print()
    print(f"gradnet side-by-side benchmark, {meta['date_utc']}")
    cpu = f"family {m.get('cpu_family')} model {m.get('cpu_model_number')}"
    cpu += f": {m['cpu_generation']}" if m.get("cpu_generation") else ""
    cpu += f"; {' '.join(m.get('isa') or [])}"
    print(f"machine: {m.get('cpu_model')} ({cpu}), {m.get('cores')} cores / {m.get('cpus')} CPUs "
          f"({m.get('usable_cpus')} usable), {m.get('mem_total_mib')} MiB, kernel {m.get('kernel')}"
          + (f", {m['hypervisor']} guest" if m.get("hypervisor") else ""))
    print(f"threads: {meta['threads']} for every tool; rounds: {meta['rounds']} (alternating "
          f"{' -> '.join(meta['tools'])}); gradnet {m.get('gradnet_commit')}, dlib {m.get('dlib_version')}")
    envs = meta["env"]
    if meta["unset_openblas_env"]:
        was = ", ".join(f"{k}={envs[k] if envs[k] is not None else '(unset)'}" for k in OPENBLAS_ENV)
        print(f"OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE: UNSET for all tools by --unset-openblas-env "
              f"(environment had {was})")
    else:
        print("OpenBLAS env (left as the environment sets it): "
              + ", ".join(f"{k}={envs[k] if envs[k] is not None else '(unset)'}" for k in OPENBLAS_ENV))
    others = [f"{k}={envs[k]}" for k in RECORDED_ENV if k not in OPENBLAS_ENV and envs.get(k) is not None]
    if others:
        print("also set: " + ", ".join(others))
    if m.get("libblas.so.3"):
        print(f"BLAS: libblas.so.3 -> {m['libblas.so.3']}")
    print("s/epoch: median over rounds of each run's median of epochs 2..N (min-max over rounds); "
          "ratio = peer / gradnet (>1: gradnet faster)")
    print()
    hdr = ["workload", "tool", "s/epoch", "(min-max)", "ratio", "(per round)", "test acc", "peak RSS MiB"]
    rows = []
    for wl, by_tool in summary.items():
        for tool in TOOLS:
            s = by_tool.get(tool)
            if not s:
                continue
            ratio = "1.00" if tool == "gradnet" and "gradnet" in by_tool else (
                f"{s['ratio']:.2f}" if "ratio" in s else "n/a")
            pr = (f"({s['ratio_per_round_min']:.2f}-{s['ratio_per_round_max']:.2f})"
                  if "ratio_per_round_min" in s else "")
            acc = f"{s['test_accuracy']:.4f}"
            if s["test_accuracy_max"] - s["test_accuracy_min"] > 5e-5:
                acc += f" ({s['test_accuracy_min']:.4f}-{s['test_accuracy_max']:.4f})"
            rows.append([wl, tool, fmt_s(s["s_per_epoch"]), f"({fmt_s(s['min'])}-{fmt_s(s['max'])})",
                         ratio, pr, acc, "-" if s["peak_rss_mib"] is None else f"{s['peak_rss_mib']:.0f}"])
    if rows:
        w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(hdr)]
        print("  ".join(h.ljust(w[i]) for i, h in enumerate(hdr)).rstrip())
        for r in rows:
            print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())
    else:
        print("(no completed runs)")
    loads = [r["load1_start"] for r in runs if "load1_start" in r]
    if loads and max(loads) > 0.5:
        print(f"\nnote: the 1-minute load average was up to {max(loads):.2f} when runs started "
              f"(other processes on the machine): timings are noisy")
    for n in notes:
        print("note: " + n)


# ------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="*", metavar="W", help="W1 W2 W3 (default: W1 W2)")
    ap.add_argument("--threads", type=int, default=2, help="threads for every tool (default 2)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of alternating runs (default 3)")
    ap.add_argument("--gradnet", default="build/gradnet", help="gradnet binary (default build/gradnet, "
                    "relative to the checkout)")
    ap.add_argument("--peers-dir", default=str(ROOT.parent / "shared" / "bench"),
                    help="where torch_bench.py and dlib_bench.cpp are (PEERS; default: the benchmark kit beside the repository)")
    ap.add_argument("--skip-gradnet", action="store_true", help="time the peers alone")
    ap.add_argument("--gradnet-set", action="append", default=[], metavar="KEY=VALUE",
                    help="a --set for gradnet's training runs (repeatable), e.g. "
                         "'model.layers[0].precision=bf16'; printed with the results")
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--skip-dlib", action="store_true")
    ap.add_argument("--unset-openblas-env", action="store_true",
                    help="unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for all tools alike (said in the output)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per run before it is killed (default 3600)")
    ap.add_argument("--json", metavar="OUT", help="write all raw figures to OUT")
    ap.add_argument("--w4-run", metavar="RUNDIR", help="W4: the W3 run gradnet evaluates (default: train one "
                    "epoch of bench/configs/w3.toml once, untimed)")
    ap.add_argument("--w4-torch-weights", metavar="FILE", help="W4: state dict for torch_bench.py --load "
                    "(torch_bench.py W3 --save FILE); default random weights")
    args = ap.parse_args()

    workloads = [w.upper() for w in args.workloads] or ["W1", "W2"]
    bad = [w for w in workloads if w not in WORKLOADS]
    if bad:
        ap.error(f"unknown workload {' '.join(bad)} (choose from {' '.join(WORKLOADS)})")
    if args.threads < 1 or args.rounds < 1:
        ap.error("--threads and --rounds must be at least 1")
    tools = [t for t, skip in (("gradnet", args.skip_gradnet), ("pytorch", args.skip_torch),
                               ("dlib", args.skip_dlib)) if not skip]
    if not tools:
        ap.error("every tool is skipped")
    gradnet = Path(args.gradnet)
    if not gradnet.is_absolute():
        gradnet = ROOT / gradnet
    args.gradnet = str(gradnet)
    peers_dir = Path(args.peers_dir).resolve()

    problems = check_prerequisites(args, peers_dir)
    if problems:
        for p in problems:
            say("bench/peers.py: " + p)
        return 2

    env = dict(os.environ)
    env_seen = {k: os.environ.get(k) for k in RECORDED_ENV}
    if args.unset_openblas_env:
        for k in OPENBLAS_ENV:
            env.pop(k, None)
        say("bench/peers.py: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for all tools (--unset-openblas-env)")

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    session = OUT / "sessions" / stamp
    notes, runs = [], []
    meta = dict(date_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                machine=machine_info(), threads=args.threads, rounds=args.rounds, tools=tools,
                workloads=workloads, env=env_seen, unset_openblas_env=args.unset_openblas_env,
                protocol="s/epoch per run = median of epochs 2..N; per tool = median over rounds; "
                         "ratio = peer/gradnet (>1: gradnet faster)",
                session_dir=str(session.relative_to(ROOT)), argv=sys.argv[1:])
    if args.gradnet_set:
        notes.append("gradnet trained with " + " ".join(f"--set {kv}" for kv in args.gradnet_set)
                     + " (not the workload's own config: a separate row, not the bar's)")
    if args.threads > meta["machine"]["usable_cpus"]:
        notes.append(f"--threads {args.threads} exceeds the {meta['machine']['usable_cpus']} usable CPUs")

    dlib_bin = OUT / "dlib_bench"
    if "dlib" in tools:
        try:
            meta["dlib_build"] = build_dlib(peers_dir, dlib_bin)
        except RuntimeError as e:
            say("bench/peers.py: " + str(e))
            return 1

    failed = False
    for wl in workloads:
        spec = WORKLOADS[wl]
        wl_tools = list(tools)
        config = ROOT / spec["config"]
        if "gradnet" in wl_tools and not config.is_file():
            notes.append(f"{wl} skipped: gradnet has no {spec['config']} yet "
                         f"(--skip-gradnet {wl} times the peers alone)")
            say(f"bench/peers.py: {notes[-1]}")
            continue
        infer = spec.get("infer", False)
        if infer and "dlib" in wl_tools:
            wl_tools.remove("dlib")
            notes.append(f"{wl}: dlib has no inference workload")
        w4_run = None
        if infer and "gradnet" in wl_tools:
            w4_run = w4_model(args, env, session, config, notes)
            if w4_run is None:
                failed = True
                wl_tools.remove("gradnet")
        say(f"== {wl}: {spec['what']}")
        skip_rest = False
        for rnd in range(1, args.rounds + 1):
            for tool in wl_tools:
                if tool == "gradnet" and infer:
                    cmd = [args.gradnet, "eval", w4_run, "--json"]
                elif tool == "gradnet":
                    run_dir = session / "runs" / f"{wl.lower()}-r{rnd}"
                    cmd = [args.gradnet, "train", config, "--json", "--out", run_dir,
                           "--set", f"train.threads={args.threads}"]
                    for kv in args.gradnet_set:
                        cmd += ["--set", kv]
                elif tool == "pytorch" and infer:
                    cmd = [PYTHON, peers_dir / "torch_bench.py", wl, "--jit", "--threads", str(args.threads)]
                    if args.w4_torch_weights:
                        cmd += ["--load", args.w4_torch_weights]
                elif tool == "pytorch":
                    cmd = [PYTHON, peers_dir / "torch_bench.py", wl, "--threads", str(args.threads)]
                else:
                    cmd = [dlib_bin, wl, str(args.threads)]
                say(f"[{wl} round {rnd}/{args.rounds}] {tool}: {' '.join(shlex.quote(str(c)) for c in cmd)}")
                r = run_measured(cmd, env, ROOT, args.timeout, session / "logs" / f"{wl.lower()}-{tool}-r{rnd}")
                rec = dict(workload=wl, tool=tool, round=rnd, command=[str(c) for c in cmd], rc=r["rc"],
                           wall_s=r["wall_s"], load1_start=r["load1_start"], load1_end=r["load1_end"],
                           time_v=r["time_v"], log=r["log"])
                rss = r["time_v"].get("max_rss_kib")
                rec["max_rss_mib"] = round(rss / 1024, 1) if rss is not None else None
                if tool == "gradnet" and r["rc"] == 2 and rnd == 1:
                    why = tail(r["stderr"], 2) or tail(r["stdout"], 2)
                    notes.append(f"{wl} skipped: gradnet can't run it yet (exit 2: {why}); "
                                 f"--skip-gradnet {wl} times the peers alone")
                    say(f"bench/peers.py: {notes[-1]}")
                    rec["status"] = "unsupported"
                    runs.append(rec)
                    skip_rest = True
                    break
                if r["rc"] != 0:
                    rec["status"] = "failed"
                    why = "timed out" if r["timed_out"] else f"exit {r['rc']}"
                    notes.append(f"{wl} {tool} round {rnd} failed ({why}): {tail(r['stderr'])} (logs {r['log']})")
                    say(f"  FAILED: {notes[-1]}")
                    failed = True
                    runs.append(rec)
                    continue
                try:
                    epochs, acc, extra = (parse_w4(tool, r["stdout"], r["wall_s"]) if infer
                                          else parse_tool(tool, r["stdout"]))
                    if not epochs:
                        raise ValueError("no epoch times")
                except (ValueError, KeyError, TypeError) as e:
                    rec["status"] = "failed"
                    notes.append(f"{wl} {tool} round {rnd}: could not parse its output ({e}); logs {r['log']}")
                    say(f"  FAILED: {notes[-1]}")
                    failed = True
                    runs.append(rec)
                    continue
                med, n_timed = per_run_seconds(epochs)
                rec.update(status="ok", epoch_times=epochs, s_per_epoch=med, n_timed=n_timed,
                           test_accuracy=acc, **{k: v for k, v in extra.items() if v is not None})
                if not infer and len(epochs) != spec["epochs"]:
                    notes.append(f"{wl} {tool} round {rnd}: {len(epochs)} epochs, the workload has {spec['epochs']}")
                runs.append(rec)
                say(f"  {med:.3f} s/epoch (median of {n_timed}), test acc {acc:.4f}, "
                    f"peak RSS {rec['max_rss_mib']} MiB, wall {r['wall_s']:.1f} s, load {r['load1_start']:.2f}")
            if skip_rest:
                break

    summary = summarize(runs, workloads, tools)
    print_report(meta, summary, notes, runs)
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(dict(meta=meta, summary=summary, notes=notes, runs=runs), indent=1) + "\n")
        say(f"bench/peers.py: raw figures written to {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
