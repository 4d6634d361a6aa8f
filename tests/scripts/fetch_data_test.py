#!/usr/bin/env python3
"""scripts/fetch-data against a local file:// mirror (no network): good files land with checksums checked,
a corrupted file is refused and leaves nothing behind, a complete folder is left alone, a wrong file
already there is named and not overwritten. Needs MNIST's original .gz files (data/mnist, scripts/setup)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FETCH = os.path.join(ROOT, "scripts", "fetch-data")
NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def mnist_source():
    for d in [os.environ.get("GRADNET_DATA", "") and os.path.join(os.environ["GRADNET_DATA"], "mnist"),
              os.path.join(ROOT, "data", "mnist")]:
        if d and all(os.path.exists(os.path.join(d, n + ".gz")) for n in NAMES):
            return d
    return None


class FetchData(unittest.TestCase):
    def setUp(self):
        src = mnist_source()
        self.assertIsNotNone(src, "MNIST .gz files not found under data/mnist: run scripts/setup")
        self.tmp = tempfile.mkdtemp(prefix="fetch-data-test-")
        self.mirror = os.path.join(self.tmp, "mirror")
        os.makedirs(os.path.join(self.mirror, "mnist"))
        for n in NAMES:
            shutil.copy(os.path.join(src, n + ".gz"), os.path.join(self.mirror, "mnist"))
        self.out = os.path.join(self.tmp, "data")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def fetch(self, *args):
        return subprocess.run([sys.executable, FETCH, "--dir", self.out, "--mirror", "file://" + self.mirror,
                               "--mirror-only", *args], capture_output=True, text=True)

    def test_good_mirror_fills_the_folder_and_a_second_run_leaves_it_alone(self):
        r = self.fetch("mnist")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("checksums match", r.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(self.out, "mnist"))), sorted(n + ".gz" for n in NAMES))
        r = self.fetch("mnist")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("already in", r.stderr)

    def test_corrupted_download_is_refused_and_leaves_nothing(self):
        with open(os.path.join(self.mirror, "mnist", "t10k-labels-idx1-ubyte.gz"), "r+b") as f:
            f.seek(100)
            f.write(b"\x00\x01\x02")
        r = self.fetch("mnist")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("t10k-labels-idx1-ubyte.gz: sha256", r.stderr)
        self.assertIn("is not the published", r.stderr)
        self.assertIn("Without network access, copy", r.stderr)
        self.assertEqual(os.listdir(os.path.join(self.out, "mnist")), [])  # not even the three good ones

    def test_a_wrong_file_already_there_is_named_and_kept(self):
        d = os.path.join(self.out, "mnist")
        os.makedirs(d)
        for n in NAMES:
            shutil.copy(os.path.join(self.mirror, "mnist", n + ".gz"), d)
        with open(os.path.join(d, "train-labels-idx1-ubyte"), "wb") as f:  # the raw name wins over .gz
            f.write(b"not mnist")
        r = self.fetch("mnist")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("train-labels-idx1-ubyte: md5 of its content", r.stderr)
        with open(os.path.join(d, "train-labels-idx1-ubyte"), "rb") as f:
            self.assertEqual(f.read(), b"not mnist")

    def test_unknown_dataset_is_a_usage_error(self):
        r = self.fetch("mnsit")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown dataset 'mnsit'", r.stderr)


if __name__ == "__main__":
    unittest.main()
