#!/usr/bin/env python3
"""The dlib peer of the face-matching evaluation.

Runs face_recognition 1.3.0 (dlib) with its defaults on a list of images and
writes one 128-d encoding per image, so the evaluation can score the same
pairs with both the kiosk's matcher and this well-known reference.

Run it with the venv python from infra/eval/setup-peer.sh:

    py="$(infra/eval/setup-peer.sh)"
    "$py" infra/eval/face_recognition_peer.py --images in.json --out out.json

in.json:  {"images": ["path1", "path2", ...]}   (paths relative to the cwd)
out.json: {"library": "face_recognition 1.3.0 (dlib X.Y)", "model": "hog",
           "results": [{"encoding": [128 floats] or null, "faces": n,
                        "detect_ms": f, "encode_ms": f}, ...]}

results follow the order of images. Per image: load_image_file, then
face_locations(img, model="hog") (one upsample, the default), then
face_encodings(img, known_face_locations=[largest box], num_jitters=1).
With several faces the largest box is encoded; with none, encoding is null
and encode_ms is 0. An image that cannot be read gets faces 0, encoding null
and an "error" message, and the run goes on. Single-threaded, so timings
compare with a single-threaded kiosk run. Progress goes to stderr.
"""

import os

# Before numpy and dlib are imported: one thread everywhere.
for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

# face_recognition_models imports pkg_resources, which warns on import.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import dlib  # noqa: E402
import face_recognition  # noqa: E402

MODEL = "hog"


def largest(boxes):
    """The (top, right, bottom, left) box with the largest area."""
    return max(boxes, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]))


def process(path):
    try:
        img = face_recognition.load_image_file(path)
    except Exception as e:  # unreadable or missing file: recorded, not fatal
        return {"encoding": None, "faces": 0, "detect_ms": 0.0, "encode_ms": 0.0,
                "error": f"{type(e).__name__}: {e}"}

    t0 = time.perf_counter()
    boxes = face_recognition.face_locations(img, model=MODEL)
    t1 = time.perf_counter()
    detect_ms = (t1 - t0) * 1000.0

    if not boxes:
        return {"encoding": None, "faces": 0, "detect_ms": detect_ms, "encode_ms": 0.0}

    t2 = time.perf_counter()
    encodings = face_recognition.face_encodings(
        img, known_face_locations=[largest(boxes)], num_jitters=1
    )
    t3 = time.perf_counter()
    return {
        "encoding": [float(x) for x in encodings[0]],
        "faces": len(boxes),
        "detect_ms": detect_ms,
        "encode_ms": (t3 - t2) * 1000.0,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", required=True, help='JSON file {"images": [paths]}')
    ap.add_argument("--out", required=True, help="JSON file to write the results to")
    args = ap.parse_args()

    with open(args.images, encoding="utf-8") as f:
        images = json.load(f)["images"]
    if not isinstance(images, list) or not all(isinstance(p, str) for p in images):
        sys.exit(f"{args.images}: 'images' must be a list of paths")

    # The installed distribution's version: face_recognition 1.3.0's own
    # __version__ still says 1.2.3.
    fr_version = importlib.metadata.version("face_recognition")
    library = f"face_recognition {fr_version} (dlib {dlib.__version__})"
    print(f"peer: {library}, model {MODEL}, {len(images)} images", file=sys.stderr)

    start = time.perf_counter()
    results = []
    for i, path in enumerate(images, 1):
        results.append(process(path))
        if i % 100 == 0 or i == len(images):
            found = sum(1 for r in results if r["encoding"] is not None)
            print(
                f"peer: {i}/{len(images)} images, {found} with a face, "
                f"{time.perf_counter() - start:.1f} s",
                file=sys.stderr,
            )

    out = {"library": library, "model": MODEL, "results": results}
    tmp = f"{args.out}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(out, f)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
