#!/usr/bin/env bash
# The GPU kit, step 2: measure the engine on a GPU machine in well under 10 minutes.
#
#   scripts/gpu/run.sh [--dry-run] [OUT_DIR]
#
# On the GPU machine (a bare image without a package index), from the repository root, with the
# wheels that scripts/gpu/prepare.sh put in .whl/ carried along:
#   1. installs .whl/*.whl into /tmp/site (PYTHONPATH; the repo itself runs from source),
#   2. records the GPU, the driver and the package versions (env.txt),
#   3. benchmarks stock chatterbox against ours on the full-size random model, eager bf16 at
#      batch 1 and growing batch sizes (bench-batch.*: no compile time, so it always fits),
#   4. runs the CUDA-marked tests (tests.txt): compiled vs eager tokens, padded vs unpadded,
#      batched vs one at a time, bf16 S3Gen vs fp32, the decode step without host syncs,
#   5. benchmarks the compiled fast profile (CUDA graphs) at batch 1 (bench-fast.*),
#   6. writes bench.md, a markdown table of every benchmark that ran.
# Each step has a time limit and is skipped when too little of the budget is left.
# Results go to OUT_DIR (default: $OUT, else ./gpu-results). The exit code is non-zero when a
# step failed; the other steps still run.
#
# --dry-run does the same on a CPU machine with the tiny model and the project's environment,
# skipping what needs CUDA, so that the kit is tested between the rare occasions to use it.
set -uo pipefail

dry=0
if [ "${1:-}" = "--dry-run" ]; then
    dry=1
    shift
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
out=${1:-${OUT:-$root/gpu-results}}
mkdir -p "$out"
# The whole kit's budget (seconds); one device command may run 10 minutes.
budget=${GPU_KIT_BUDGET_S:-520}
started=$SECONDS
failed=0

if [ $dry = 1 ]; then
    py=${PYTHON:-python3}
    device=cpu model=tiny tokens=8 batches=2 fast_profile=smoke batch_profile=smoke
else
    py=${PYTHON:-python3}
    if ! "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl; then
        echo "error: could not install the carried wheels (.whl/): run scripts/gpu/prepare.sh first" >&2
        exit 2
    fi
    export PYTHONPATH=/tmp/site
    device=cuda model=full tokens=100 batches=16,64,128 fast_profile=fast batch_profile=scripts/gpu/batch.toml
fi
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

left() { echo $((budget - (SECONDS - started))); }

step() {  # step NAME SECONDS COMMAND...: run with a time limit, log to OUT/NAME.txt
    local name=$1 limit=$2
    shift 2
    if [ "$(left)" -lt 30 ]; then
        echo "== $name: skipped, $(left) s of the budget left" | tee -a "$out/steps.txt"
        return
    fi
    [ "$limit" -gt "$(left)" ] && limit=$(left)
    echo "== $name (limit ${limit} s)" | tee -a "$out/steps.txt"
    timeout "$limit" "$@" >"$out/$name.txt" 2>&1
    local rc=$?
    echo "   exit $rc after $((SECONDS - started)) s" | tee -a "$out/steps.txt"
    tail -n 15 "$out/$name.txt"
    [ $rc = 0 ] || failed=1
}

: >"$out/steps.txt"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
} >"$out/env.txt"
step versions 60 "$py" -c "
import platform, torch, transformers, numpy
print('python', platform.python_version(), 'torch', torch.__version__, 'cuda', torch.version.cuda,
      'transformers', transformers.__version__, 'numpy', numpy.__version__)
print('device', torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu',
      'capability', torch.backends.cpu.get_cpu_capability())
"
cat "$out/versions.txt" >>"$out/env.txt"

step bench-batch 240 "$py" -m audiobook_tts bench --model "$model" --device "$device" --profile "$batch_profile" \
    --tokens "$tokens" --repeats 1 --batch "1,$batches" --json "$out/bench-batch.json"
step tests 150 "$py" -m pytest -q -p no:cacheprovider -m cuda tests
step bench-fast 240 "$py" -m audiobook_tts bench --model "$model" --device "$device" --profile "$fast_profile" \
    --tokens "$tokens" --repeats 2 --json "$out/bench-fast.json"

step table 30 "$py" scripts/gpu/table.py "$out" --output "$out/bench.md"
cat "$out/bench.md" 2>/dev/null
exit $failed
