#!/usr/bin/python3
"""Checks TensorBoard event files on its own, without gradnet's C++ code and without TensorBoard.

    /usr/bin/python3 scripts/read_tfevents.py RUNDIR/tensorboard [FILE ...] [--json]

For every events.out.tfevents.* file (directories are searched): reads each record's frame
(uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data), checks both CRCs
with a CRC-32C written here, parses the data as a tensorboard.Event with Google's protobuf runtime
(Debian's python3-protobuf) and message descriptors typed in below from TensorBoard's
tensorboard/compat/proto/{event,summary,histogram}.proto (only the fields gradnet writes, same
numbers), and checks what TensorBoard relies on: the first event is file_version "brain.Event:*";
histograms have one count per bucket limit, increasing limits and counts summing to num; images are
PNGs whose header matches height and width. Prints each tag with its kind, count and step range
(--json: one JSON object). Exit 0 when every file passes, 1 when one does not, 2 on bad usage.
"""
import json
import os
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# name, number, type, label ("r" repeated), message type name
_F = descriptor_pb2.FieldDescriptorProto
_MESSAGES = {
    "HistogramProto": [("min", 1, _F.TYPE_DOUBLE), ("max", 2, _F.TYPE_DOUBLE), ("num", 3, _F.TYPE_DOUBLE),
                       ("sum", 4, _F.TYPE_DOUBLE), ("sum_squares", 5, _F.TYPE_DOUBLE),
                       ("bucket_limit", 6, _F.TYPE_DOUBLE, "r"), ("bucket", 7, _F.TYPE_DOUBLE, "r")],
    "Image": [("height", 1, _F.TYPE_INT32), ("width", 2, _F.TYPE_INT32), ("colorspace", 3, _F.TYPE_INT32),
              ("encoded_image_string", 4, _F.TYPE_BYTES)],
    "Value": [("tag", 1, _F.TYPE_STRING), ("simple_value", 2, _F.TYPE_FLOAT, "", "", 0),
              ("image", 4, _F.TYPE_MESSAGE, "", ".tbcheck.Image", 0),
              ("histo", 5, _F.TYPE_MESSAGE, "", ".tbcheck.HistogramProto", 0)],
    "Summary": [("value", 1, _F.TYPE_MESSAGE, "r", ".tbcheck.Value")],
    "Event": [("wall_time", 1, _F.TYPE_DOUBLE), ("step", 2, _F.TYPE_INT64),
              ("file_version", 3, _F.TYPE_STRING, "", "", 0),
              ("summary", 5, _F.TYPE_MESSAGE, "", ".tbcheck.Summary", 0)],
}


def _message_classes():
    f = descriptor_pb2.FileDescriptorProto(name="tbcheck.proto", package="tbcheck", syntax="proto3")
    for name, fields in _MESSAGES.items():
        m = f.message_type.add(name=name)
        oneof_used = False
        for spec in fields:
            fname, number, ftype = spec[:3]
            label = spec[3] if len(spec) > 3 else ""
            type_name = spec[4] if len(spec) > 4 else ""
            fd = m.field.add(name=fname, number=number, type=ftype,
                             label=_F.LABEL_REPEATED if label == "r" else _F.LABEL_OPTIONAL)
            if type_name:
                fd.type_name = type_name
            if len(spec) > 5:  # a member of the message's oneof ("value" / "what")
                fd.oneof_index = 0
                oneof_used = True
        if oneof_used:
            m.oneof_decl.add(name="what" if name == "Event" else "value")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    classes = {}
    for name in _MESSAGES:
        d = pool.FindMessageTypeByName("tbcheck." + name)
        if hasattr(message_factory, "GetMessageClass"):
            classes[name] = message_factory.GetMessageClass(d)
        else:
            classes[name] = message_factory.MessageFactory(pool).GetPrototype(d)
    return classes


def read_records(path):
    """Yields (offset, data) for each record; raises ValueError on a bad frame."""
    with open(path, "rb") as f:
        blob = f.read()
    pos = 0
    while pos < len(blob):
        if len(blob) - pos < 12:
            raise ValueError(f"{path}: truncated record header at byte {pos}")
        header = blob[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        if length_crc != masked_crc32c(header):
            raise ValueError(f"{path}: record at byte {pos}: the length's CRC does not match")
        end = pos + 12 + length
        if end + 4 > len(blob):
            raise ValueError(f"{path}: record at byte {pos} says {length} bytes, the file ends before them")
        data = blob[pos + 12:end]
        (data_crc,) = struct.unpack("<I", blob[end:end + 4])
        if data_crc != masked_crc32c(data):
            raise ValueError(f"{path}: record at byte {pos}: the data's CRC does not match")
        yield pos, data
        pos = end + 4


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])  # width, height


def check_file(path, classes):
    Event = classes["Event"]
    tags = {}
    problems = []
    count = 0
    for offset, data in read_records(path):
        e = Event()
        e.ParseFromString(data)
        if count == 0:
            if e.WhichOneof("what") != "file_version" or not e.file_version.startswith("brain.Event:"):
                problems.append(f"first event is not a file_version (got {e.WhichOneof('what')})")
        count += 1
        if e.WhichOneof("what") != "summary":
            continue
        for v in e.summary.value:
            kind = v.WhichOneof("value") or "none"
            t = tags.setdefault(v.tag, {"kind": kind, "count": 0, "first_step": e.step, "last_step": e.step})
            if t["kind"] != kind:
                problems.append(f"tag {v.tag}: {kind} at step {e.step}, {t['kind']} before")
            t["count"] += 1
            t["first_step"] = min(t["first_step"], e.step)
            t["last_step"] = max(t["last_step"], e.step)
            if kind == "simple_value":
                t["last"] = v.simple_value
            elif kind == "histo":
                h = v.histo
                if len(h.bucket) != len(h.bucket_limit) or not h.bucket:
                    problems.append(f"tag {v.tag} step {e.step}: {len(h.bucket)} buckets, {len(h.bucket_limit)} limits")
                if any(b > a for a, b in zip(h.bucket_limit[1:], h.bucket_limit[:-1])):
                    problems.append(f"tag {v.tag} step {e.step}: bucket limits not increasing")
                if abs(sum(h.bucket) - h.num) > 0.5:
                    problems.append(f"tag {v.tag} step {e.step}: counts sum to {sum(h.bucket)}, num is {h.num}")
                if not h.min <= h.max:
                    problems.append(f"tag {v.tag} step {e.step}: min {h.min} > max {h.max}")
            elif kind == "image":
                size = png_size(v.image.encoded_image_string)
                if size != (v.image.width, v.image.height):
                    problems.append(f"tag {v.tag} step {e.step}: PNG size {size}, "
                                    f"message says {(v.image.width, v.image.height)}")
                t["size"] = [v.image.width, v.image.height]
            else:
                problems.append(f"tag {v.tag} step {e.step}: no value set")
    if count == 0:
        problems.append("no records")
    return {"file": path, "events": count, "tags": tags, "problems": problems}


def event_files(args):
    for a in args:
        if os.path.isdir(a):
            for root, _, names in os.walk(a):
                for n in sorted(names):
                    if n.startswith("events.out.tfevents."):
                        yield os.path.join(root, n)
        else:
            yield a


def main(argv):
    as_json = "--json" in argv
    args = [a for a in argv if a != "--json"]
    if not args or any(a.startswith("-") for a in args):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    assert crc32c(b"123456789") == 0xE3069283  # the CRC catalogue's check value
    classes = _message_classes()
    results = []
    for path in event_files(args):
        try:
            results.append(check_file(path, classes))
        except (ValueError, OSError) as e:
            results.append({"file": path, "events": 0, "tags": {}, "problems": [str(e)]})
        except Exception as e:  # protobuf's DecodeError and kin
            results.append({"file": path, "events": 0, "tags": {}, "problems": [f"{type(e).__name__}: {e}"]})
    if not results:
        results.append({"file": " ".join(args), "events": 0, "tags": {}, "problems": ["no event files found"]})
    ok = all(not r["problems"] for r in results)
    if as_json:
        print(json.dumps({"ok": ok, "files": results}))
    else:
        for r in results:
            print(f"{r['file']}: {r['events']} events, {len(r['tags'])} tags")
            for tag, t in sorted(r["tags"].items()):
                extra = f" last={t['last']:.6g}" if "last" in t else (f" size={t['size']}" if "size" in t else "")
                print(f"  {tag:40s} {t['kind']:12s} x{t['count']:<5d} steps {t['first_step']}..{t['last_step']}{extra}")
            for p in r["problems"]:
                print(f"  PROBLEM: {p}")
        print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
