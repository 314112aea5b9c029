#!/usr/bin/env bash
# Download the wheels that the H200 device machine lacks into .whl/ (ignored), for Python 3.12
# on manylinux x86-64, exactly as pinned in scripts/gpu/wheels.txt. Run on a networked machine:
#
#   scripts/gpu/prepare.sh                 # group "core": engine, bench, engine tests
#   scripts/gpu/prepare.sh core render     # + book ingestion (render/plan/chapters)
#   scripts/gpu/prepare.sh --dry-run       # only check and list the pins (no network)
#
# It removes whatever else is in .whl/ (stale wheels), checks each wheel's sha256 against
# uv.lock where the lock has that version, prints the sizes, and fails if the wheels plus the
# working tree that travels with every device call exceed the 64 MiB limit. On the device:
#
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
#       --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD
#
# (with ".whl" in the call's carry list). PYTHONPATH puts these ahead of the image's packages.
set -euo pipefail

PYTHON=${PYTHON:-python3}
LIMIT_BYTES=$((64 * 1024 * 1024))
# Python 3.12 there; pip matches manylinux_2_N tags exactly, so list the ones our wheels use.
PLATFORMS=(manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64)

dry=0
if [ "${1:-}" = "--dry-run" ]; then
    dry=1
    shift
fi
root=$(git rev-parse --show-toplevel)
cd "$root"
list=scripts/gpu/wheels.txt
dest=.whl
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(core)

# The pins: "GROUP NAME==VERSION" lines of the chosen groups (comments and blanks ignored).
mapfile -t specs < <(
    sed -e 's/#.*//' "$list" | awk -v want=" ${groups[*]} " 'NF >= 2 && index(want, " " $1 " ") { print $2 }'
)
if [ ${#specs[@]} -eq 0 ]; then
    echo "error: no wheels listed in $list for group(s): ${groups[*]}" >&2
    exit 2
fi
for s in "${specs[@]}"; do
    [[ $s == *==* ]] || { echo "error: $list: '$s' is not pinned as NAME==VERSION" >&2; exit 2; }
done
if [ $dry = 1 ]; then
    printf 'would download %s\n' "${specs[@]}"
    exit 0
fi

# .whl/ must never be committed, nor travel uncarried: ignore it (locally) unless already ignored.
mkdir -p "$dest"
if ! git check-ignore -q "$dest/x.whl"; then
    exclude=$(git rev-parse --git-path info/exclude)
    mkdir -p "$(dirname "$exclude")"
    echo "/$dest/" >>"$exclude"
    echo "added /$dest/ to $exclude"
fi


plat_args=()
for p in "${PLATFORMS[@]}"; do plat_args+=(--platform "$p"); done
# Into an empty folder (pip's cache makes repeats cheap), so that .whl/ ends up holding exactly
# what this run chose: anything else there is stale.
fresh=$(mktemp -d "${TMPDIR:-/tmp}/gpu-wheels.XXXXXX")
trap 'rm -rf "$fresh"' EXIT
"$PYTHON" -m pip download --disable-pip-version-check --progress-bar off --no-deps --only-binary=:all: \
    --python-version 3.12 --implementation cp \
    "${plat_args[@]}" -d "$fresh" "${specs[@]}"
for f in "$dest"/* "$dest"/.[!.]*; do
    [ -e "$f" ] || continue
    if [ ! -e "$fresh/$(basename "$f")" ]; then
        rm -rf "$f"
        echo "removed stale $(basename "$f")"
    fi
done
mv -f "$fresh"/*.whl "$dest"/

# Check one wheel per pin and the hashes against uv.lock, print sizes, enforce the limit.
"$PYTHON" - "$dest" "$LIMIT_BYTES" "${specs[@]}" <<'PY'
import hashlib, os, re, subprocess, sys

dest, limit, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()
wanted = {}
for spec in specs:
    name, version = spec.split("==")
    wanted[norm(name)] = version

kept = sorted(f for f in os.listdir(dest) if f.endswith(".whl"))
count = {}
for f in kept:
    count[norm(f.split("-")[0])] = count.get(norm(f.split("-")[0]), 0) + 1
missing = sorted(set(wanted) - set(count))
dups = sorted(n for n, c in count.items() if c > 1)
extra = sorted(set(count) - set(wanted))
other = sorted(f for f in kept if wanted.get(norm(f.split("-")[0]), f.split("-")[1]) != f.split("-")[1])
if missing or dups or extra or other:
    sys.exit(f"error: missing {missing}, several wheels for {dups}, unlisted {extra}, other versions {other}")

lock = {}
try:
    import tomllib
    with open("uv.lock", "rb") as fh:
        for p in tomllib.load(fh).get("package", []):
            for w in p.get("wheels", []):
                lock[w["url"].rsplit("/", 1)[-1]] = w.get("hash", "")
except (ImportError, FileNotFoundError):
    print("note: no uv.lock or no tomllib: hashes not checked")

total = 0
print(f"\n{'wheel':<78} {'bytes':>10}  kind    uv.lock")
for f in kept:
    path = os.path.join(dest, f)
    size = os.path.getsize(path)
    total += size
    kind = "pure" if f.endswith("-none-any.whl") else "binary"
    expected = lock.get(f)
    if expected is None:
        check = "not in lock"
    else:
        digest = "sha256:" + hashlib.sha256(open(path, "rb").read()).hexdigest()
        if digest != expected:
            sys.exit(f"error: {f}: sha256 differs from uv.lock ({digest} != {expected})")
        check = "sha256 ok"
    print(f"{f:<78} {size:>10}  {kind:<7} {check}")

# What travels on every call: tracked and untracked-not-ignored files (and shared/, if any).
out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                     check=True, capture_output=True).stdout
files = {p for p in out.decode().split("\0") if p}
if os.path.isdir("shared"):
    for d, _, names in os.walk("shared"):
        files.update(os.path.join(d, n) for n in names)
tree = sum(os.lstat(p).st_size for p in files if os.path.lexists(p))
mib = lambda n: f"{n / 2**20:.2f} MiB"
print(f"\n{len(kept)} wheels: {mib(total)}; working tree that travels: {mib(tree)}; "
      f"together: {mib(total + tree)} of {mib(limit)}")
if total + tree > limit:
    sys.exit(f"error: over the {mib(limit)} that a device call may carry")
PY
