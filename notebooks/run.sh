#!/usr/bin/env bash
# Executes every notebook in notebooks/ headless with the tslab TypeScript kernel and fails
# on the first cell error. Executed copies go to notebooks/executed/ (git-ignored); the
# committed notebooks keep their outputs cleared.
#
#   bash notebooks/run.sh                       # all notebooks (npm run notebooks)
#   bash notebooks/run.sh notebooks/x.ipynb     # some of them
#   bash notebooks/run.sh --install-kernel      # only register the kernel for your own Jupyter
#
# Needs: Jupyter from Debian (apt-get install jupyter-notebook python3-nbconvert
# jupyter-client python3-ipykernel) and tslab (an npm devDependency).
# Environment: NOTEBOOK_CELL_TIMEOUT (seconds per cell, default 600), NOTEBOOKS_OUT (output
# folder), NOTEBOOKS_HTML=1 (also write HTML next to the executed notebooks), TSLAB (the
# tslab binary), PYTHON (a python with nbconvert), LIPBENCH_RESULTS / LIPBENCH_BACKEND (read
# by the notebooks themselves).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

install_only=0
notebooks=()
for arg in "$@"; do
  case "$arg" in
    --install-kernel) install_only=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) notebooks+=("$arg") ;;
  esac
done
if [ ${#notebooks[@]} -eq 0 ]; then
  for nb in notebooks/*.ipynb; do notebooks+=("$nb"); done
fi

# A python that has Jupyter: pyenv or venv shims often shadow Debian's /usr/bin/python3.
py=""
for candidate in "${PYTHON:-}" python3 /usr/bin/python3; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import nbconvert, nbclient, jupyter_client' >/dev/null 2>&1; then
    py="$candidate"
    break
  fi
done
if [ -z "$py" ]; then
  echo "notebooks: no python with nbconvert and jupyter_client; install them with" >&2
  echo "  apt-get install -y jupyter-notebook python3-nbconvert jupyter-client python3-ipykernel" >&2
  exit 1
fi

tslab="${TSLAB:-$root/node_modules/.bin/tslab}"
if [ ! -x "$tslab" ]; then
  echo "notebooks: no tslab at $tslab; run npm install (tslab is a devDependency) or set TSLAB" >&2
  exit 1
fi

# tslab's own kernelspec (kernel "tslab", as in the notebooks' metadata), installed into
# a git-ignored prefix so that nothing outside the repo changes; --install-kernel puts it
# in your per-user Jupyter registry instead.
prefix="$root/notebooks/.jupyter"
if [ "$install_only" = 1 ]; then
  "$tslab" install --python "$py" --binary "$tslab" --user
  echo "notebooks: kernel installed; start Jupyter with: jupyter notebook notebooks/"
  exit 0
fi
"$tslab" install --python "$py" --binary "$tslab" --prefix "$prefix" >/dev/null
export JUPYTER_PATH="$prefix/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"

out="${NOTEBOOKS_OUT:-notebooks/executed}"
timeout="${NOTEBOOK_CELL_TIMEOUT:-600}"
mkdir -p "$out"
start=$SECONDS
passed=0
failed=0
for nb in "${notebooks[@]}"; do
  t0=$SECONDS
  rm -f "$out/$(basename "$nb")"
  echo "notebooks: executing $nb"
  # nbconvert exits non-zero on the first cell that fails (tslab reports type errors as
  # failures too) or that runs past the timeout.
  if "$py" -m nbconvert --to notebook --execute \
    --ExecutePreprocessor.kernel_name=tslab \
    --ExecutePreprocessor.timeout="$timeout" \
    --output-dir "$out" "$nb"
  then
    passed=$((passed + 1))
    echo "notebooks: ok $nb ($((SECONDS - t0)) s)"
    if [ "${NOTEBOOKS_HTML:-0}" = 1 ]; then
      "$py" -m nbconvert --to html --output-dir "$out" "$out/$(basename "$nb")"
    fi
  else
    failed=$((failed + 1))
    echo "notebooks: FAILED $nb ($((SECONDS - t0)) s)" >&2
    # nbconvert's message leaves out what tslab printed (type errors, stack traces go to
    # the cell's stderr): run it once more keeping outputs, and show them.
    "$py" -m nbconvert --to notebook --execute --allow-errors \
      --ExecutePreprocessor.kernel_name=tslab --ExecutePreprocessor.timeout="$timeout" \
      --output-dir "$out" --output "$(basename "$nb" .ipynb).failed" "$nb" >/dev/null 2>&1 &&
      "$py" - "$out/$(basename "$nb" .ipynb).failed.ipynb" <<'PY' >&2 || true
import json, sys
nb = json.load(open(sys.argv[1]))
for i, cell in enumerate(nb["cells"]):
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream" and o["name"] == "stderr":
            src = "".join(cell["source"]).splitlines()
            print(f"--- stderr of cell {i} ({src[0] if src else ''}):")
            print("".join(o["text"]).rstrip()[:4000])
PY
  fi
done
echo "notebooks: took $((SECONDS - start)) s, executed copies in $out"
echo "notebooks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
