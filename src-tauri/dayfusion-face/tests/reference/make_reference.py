#!/usr/bin/env python3
"""Reference outputs of the TFLite models from the TFLite runtime.

Runs BlazeFace short and full range, face mesh and MobileFaceNet with
Google's own TFLite interpreter on one deterministic input and writes a
small summary of the raw outputs to tflite_reference.json, which
tests/reference.rs compares with tract's outputs.

Not a project dependency: run it from a throwaway virtual environment.

    python3 -m venv /tmp/litert-venv
    /tmp/litert-venv/bin/pip install ai-edge-litert numpy
    /tmp/litert-venv/bin/python make_reference.py [MODELS_DIR]

MODELS_DIR defaults to $DAYFUSION_MODELS_DIR, else the kiosk's models folder.
The input is the pattern reference.rs builds too: pixel value
p = (7x + 13y + 61c + 97b) mod 256 for column x, row y, channel c, batch
item b, scaled to
p / 127.5 - 1 in float32 (exact in both languages).
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

try:
    from ai_edge_litert.interpreter import Interpreter
    RUNTIME = "ai-edge-litert"
except ImportError:  # older name of the same runtime
    from tflite_runtime.interpreter import Interpreter
    RUNTIME = "tflite-runtime"

# key: (file, input size, batch, {output tensor name: summary key})
MODELS = {
    "blazeface-short": ("face_detection_short_range.tflite", 128, 1,
                        {"regressors": "regressors", "classificators": "logits"}),
    "blazeface-full": ("face_detection_full_range.tflite", 192, 1,
                       {"reshaped_regressor_face_4": "regressors",
                        "reshaped_classifier_face_4": "logits"}),
    "face-mesh": ("face_landmark.tflite", 192, 1,
                  {"conv2d_21": "landmarks", "conv2d_31": "face_flag"}),
    "mobilefacenet": ("MobileFaceNet.tflite", 112, 2, {"embeddings": "embeddings"}),
}
SAMPLE = 32


def pattern(size: int, batch: int) -> np.ndarray:
    b, y, x, c = np.meshgrid(np.arange(batch), np.arange(size), np.arange(size), np.arange(3),
                             indexing="ij")
    p = ((7 * x + 13 * y + 61 * c + 97 * b) % 256).astype(np.float32)
    return (p / np.float32(127.5) - np.float32(1.0)).astype(np.float32)


def summary(values: np.ndarray) -> dict:
    flat = values.astype(np.float64).ravel()
    top = int(np.argmax(flat))
    return {
        "shape": list(values.shape),
        "first": [float(v) for v in flat[:SAMPLE]],
        "sum": float(flat.sum()),
        "abs_sum": float(np.abs(flat).sum()),
        "min": float(flat.min()),
        "max": float(flat.max()),
        "argmax": top,
    }


def main() -> None:
    default = Path(os.environ.get("DAYFUSION_MODELS_DIR") or
                   Path.home() / ".local/share/br.com.dayfusion.kiosk/models")
    models_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    from importlib.metadata import version
    out = {"runtime": f"{RUNTIME} {version(RUNTIME)}", "input": "p = (7x + 13y + 61c + 97b) mod 256; p / 127.5 - 1", "models": {}}
    for name, (file, size, batch, keys) in MODELS.items():
        path = models_dir / file
        interpreter = Interpreter(model_path=str(path))
        interpreter.allocate_tensors()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], pattern(size, batch))
        interpreter.invoke()
        outputs = {}
        for detail in interpreter.get_output_details():
            values = interpreter.get_tensor(detail["index"])
            outputs[keys[detail["name"]]] = summary(values)
        out["models"][name] = {
            "file": file,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "input_size": size,
            "batch": batch,
            **outputs,
        }
    target = Path(__file__).with_name("tflite_reference.json")
    target.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
