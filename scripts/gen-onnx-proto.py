#!/usr/bin/env python3
"""Writes src/io/onnx-proto.gen.ts: the ONNX schema text (comments stripped) from an installed onnx package."""
import json
import os
import re

import onnx

src = os.path.join(os.path.dirname(onnx.__file__), "onnx.proto")
s = re.sub(r"//[^\n]*", "", open(src).read())
s = re.sub(r"\n\s*\n+", "\n", s)
out = ("// The ONNX schema (onnx.proto of ONNX 1.12, as Debian's python3-onnx ships it; Apache-2.0, github.com/onnx/onnx),\n"
       "// comments stripped. Parsed at run time by protobufjs, so the same code decodes .onnx files in Node and in the\n"
       "// browser. Regenerate with scripts/gen-onnx-proto.py.\n"
       "export const ONNX_PROTO = " + json.dumps(s) + ";\n")
open(os.path.join(os.path.dirname(__file__), "..", "src", "io", "onnx-proto.gen.ts"), "w").write(out)
