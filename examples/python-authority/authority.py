"""siyu's authority hosted in Python through wasmtime: the engine decides, Python stores.

The module `siyu_authority.wasm` (built into pkg/ by scripts/build-pkg.sh) exports four
functions — `siyu_alloc`, `siyu_call`, `siyu_output_len`, `siyu_free` — and takes no imports.
Every call is one JSON text in and one JSON text out (docs/backend.md lists them):
`{"ok": ...}`, `{"refused": {status, code, message, details}}`, `{"needs": ...}` or
`{"error": ...}`. This file is the whole binding; `example.py` decides a push with it.
"""

import json

import wasmtime


class Authority:
    def __init__(self, wasm_path: str, program_json: str):
        engine = wasmtime.Engine()
        self._store = wasmtime.Store(engine)
        module = wasmtime.Module.from_file(engine, wasm_path)
        instance = wasmtime.Instance(self._store, module, [])
        exports = instance.exports(self._store)
        self._memory = exports["memory"]
        self._alloc = exports["siyu_alloc"]
        self._call = exports["siyu_call"]
        self._output_len = exports["siyu_output_len"]
        answer = self._raw("loadProgram", program_json)
        if "error" in answer:
            raise ValueError(answer["error"]["message"])

    def _put(self, text: str) -> tuple[int, int]:
        data = text.encode("utf-8")
        ptr = self._alloc(self._store, len(data))
        self._memory.write(self._store, data, ptr)
        return ptr, len(data)

    def _raw(self, op: str, text: str) -> dict:
        op_ptr, op_len = self._put(op)
        in_ptr, in_len = self._put(text)
        out = self._call(self._store, op_ptr, op_len, in_ptr, in_len)
        length = self._output_len(self._store)
        return json.loads(self._memory.read(self._store, out, out + length).decode("utf-8"))

    def call(self, op: str, payload) -> dict:
        """One call: the answer as a dict. A malformed call raises."""
        answer = self._raw(op, payload if isinstance(payload, str) else json.dumps(payload))
        if "error" in answer:
            raise ValueError(f"{answer['error']['code']}: {answer['error']['message']}")
        return answer
