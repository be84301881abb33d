#!/usr/bin/env python3
"""Reference outputs of the ONNX models (YuNet, SFace) from their reference
runtimes, for tests/onnx_reference.rs.

- SFace ships int8 block-quantized (DequantizeLinear with block_size, opset
  21). onnxruntime refuses that file; OpenCV's DNN module runs it as shipped,
  and OpenCV is the runtime SFace comes from, so OpenCV is the reference.
  The project folds the block quantization to fp32 at load time; the test
  checks tract on the folded graph against OpenCV on the shipped file.
- YuNet (fp32) runs in onnxruntime and OpenCV; both are recorded and must
  agree with each other too.

Not a project dependency: run it from a throwaway virtual environment.

    python3 -m venv /tmp/ref-venv
    /tmp/ref-venv/bin/pip install onnxruntime opencv-python-headless numpy
    /tmp/ref-venv/bin/python make_onnx_reference.py [MODELS_DIR]

The input is channel-first, batch 1, values 0-255 as the models take them:
p = (7x + 13y + 61c) mod 256 for column x, row y, channel plane c.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import onnxruntime

SAMPLE = 32
YUNET = "face_detection_yunet_2023mar.onnx"
SFACE = "face_recognition_sface_2021dec_int8bq.onnx"
YUNET_OUTPUTS = [f"{kind}_{stride}" for kind in ("cls", "obj", "bbox", "kps")
                 for stride in (8, 16, 32)]


def pattern(size: int) -> np.ndarray:
    c, y, x = np.meshgrid(np.arange(3), np.arange(size), np.arange(size), indexing="ij")
    return ((7 * x + 13 * y + 61 * c) % 256).astype(np.float32)[None]


def summary(values: np.ndarray) -> dict:
    flat = values.astype(np.float64).ravel()
    return {
        "shape": list(values.shape),
        "first": [float(v) for v in flat[:SAMPLE]],
        "sum": float(flat.sum()),
        "abs_sum": float(np.abs(flat).sum()),
        "min": float(flat.min()),
        "max": float(flat.max()),
        "argmax": int(np.argmax(flat)),
    }


def opencv_outputs(path: Path, blob: np.ndarray, names: list, input_name: str) -> dict:
    net = cv2.dnn.readNet(str(path))
    net.setInput(blob, input_name)
    return dict(zip(names, net.forward(names)))


def main() -> None:
    default = Path(os.environ.get("DAYFUSION_MODELS_DIR") or
                   Path.home() / ".local/share/br.com.dayfusion.kiosk/models")
    models_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    out = {
        "runtimes": {"opencv": cv2.__version__, "onnxruntime": onnxruntime.__version__},
        "input": "NCHW, p = (7x + 13y + 61c) mod 256 as float32",
        "models": {},
    }

    path = models_dir / SFACE
    sface = opencv_outputs(path, pattern(112), ["fc1"], "data")["fc1"]
    out["models"]["sface"] = {
        "file": SFACE, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "runtime": "opencv", "input_size": 112, "fc1": summary(sface),
    }

    path = models_dir / YUNET
    blob = pattern(640)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ort = dict(zip(YUNET_OUTPUTS, session.run(YUNET_OUTPUTS, {"input": blob})))
    cv = opencv_outputs(path, blob, YUNET_OUTPUTS, "input")
    worst = max(float(np.abs(ort[n] - cv[n]).max()) for n in YUNET_OUTPUTS)
    print(f"YuNet onnxruntime vs OpenCV: largest difference {worst:.2e}")
    out["models"]["yunet"] = {
        "file": YUNET, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "runtime": "onnxruntime", "opencv_max_abs_difference": worst, "input_size": 640,
        **{n: summary(ort[n]) for n in YUNET_OUTPUTS},
    }
    target = Path(__file__).with_name("onnx_reference.json")
    target.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
