#!/usr/bin/env python3
"""Writes the package's machine-readable copyright file (DEP-5) to stdout:
the app itself, then one stanza per model of the pack, read from the pack's
manifest.json (its registry, package, licence and caveat come from the
pinned catalogue, dayfusion-models; evidence in MODELS.md).

usage: copyright.py MANIFEST_JSON VERSION
"""
import json
import sys

MIT_TEXT = """\
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all
 copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE."""

# Where the registry package only redistributes upstream weights, the
# upstream copyright notice (which MIT requires to travel with the file);
# evidence in MODELS.md. Other models: "the authors of <package>".
UPSTREAM_COPYRIGHT = {
    # OpenCV Zoo, models/face_detection_yunet/LICENSE (MIT).
    "yunet": "2020 Shiqi Yu <shiqi.yu@gmail.com> (YuNet, libfacedetection; OpenCV Zoo)",
    # OpenCV Zoo, models/face_recognition_sface/LICENSE (Apache-2.0, no
    # holder named): the model's authors and its ONNX converter.
    "sface": "Yaoyao Zhong (SFace) and Chengrui Wang (ONNX conversion), OpenCV Zoo",
    # onnxruntime/LICENSE in the wheel (MIT).
    "onnxruntime": "Microsoft Corporation (ONNX Runtime)",
    "onnxruntime-notices": "Microsoft Corporation; the notices name each bundled library's holders",
}

# How each registry writes a pinned package, as `dayfusion models list` does.
REGISTRIES = {
    "npm": ("npm", "{name}@{version}"),
    "pypi": ("PyPI", "{name}=={version}"),
}

LICENCE_TEXTS = {
    "Apache-2.0": " On Debian systems, the full text of the Apache License, Version 2.0\n"
    " is in /usr/share/common-licenses/Apache-2.0.",
    "MIT": MIT_TEXT,
}


def main() -> int:
    manifest_path, version = sys.argv[1], sys.argv[2]
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    out = [
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
        "Upstream-Name: dayfusion-kiosk",
        f"Comment: DayFusion Kiosk {version}. The face models below come from npm",
        " and PyPI packages pinned by version and SHA-256 (manifest.json beside them);",
        " /usr/share/doc/dayfusion-kiosk/MODELS.md gives the evidence for each licence.",
        "",
        "Files: *",
        "Copyright: DayFusion Kiosk team",
        "License: proprietary",
        " All rights reserved; licensed to the deploying bank under its contract.",
    ]
    used = set()
    for model in manifest["models"]:
        licence = model["licence"]
        short = licence.split()[0]
        if short not in LICENCE_TEXTS:
            print(f"copyright.py: no licence text for {licence!r}", file=sys.stderr)
            return 1
        registry = model.get("registry")
        if registry not in REGISTRIES:
            print(f"copyright.py: unknown registry {registry!r} for {model['id']}"
                  " (a manifest older than format 2? run `dayfusion models fetch`)",
                  file=sys.stderr)
            return 1
        used.add(short)
        label, spec = REGISTRIES[registry]
        spec = spec.format(name=model["package"], version=model["version"])
        comment = [f"{model['id']}: {label} package {spec},",
                   f"SHA-256 {model['sha256']}."]
        if licence != short:
            comment.append(f"Licence as recorded: {licence}.")
        if model.get("licenceNote"):
            comment.append(f"CAVEAT: {model['licenceNote']}")
        out += [
            "",
            f"Files: usr/share/dayfusion-kiosk/models/{model['file']}",
            "Copyright: " + UPSTREAM_COPYRIGHT.get(
                model["id"], f"the authors of {model['package']}"),
            f"License: {short}",
            "Comment: " + "\n ".join(wrap(" ".join(comment))),
        ]
    for short in sorted(used):
        out += ["", f"License: {short}", LICENCE_TEXTS[short]]
    print("\n".join(out))
    return 0


def wrap(text: str, width: int = 76) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines


if __name__ == "__main__":
    sys.exit(main())
