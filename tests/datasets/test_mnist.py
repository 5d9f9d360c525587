import shutil

import numpy as np
import pytest

from digitlab.datasets import load_files, mnist
from digitlab.errors import ChecksumError, DataNotFoundError
from digitlab.utils import to_categorical

# Checks from ../shared/data/mnist/README.md
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
BUNDLED = mnist.SPEC.local_dirs[0][0]


def test_load_data_keras_shapes_and_checks(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert round(float(x_train.mean()), 3) == 33.318


def test_load_mnist_book_defaults():
    (x_train, t_train), (x_test, t_test) = mnist.load_mnist()
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.float32 and 0.0 == x_train.min() and x_train.max() == 1.0
    assert t_train.shape == (60000,) and t_test[:3].tolist() == [7, 2, 1]


def test_load_mnist_options(mnist_data):
    (x_raw, y_raw), _ = mnist_data
    (x, t), (xt, tt) = mnist.load_mnist(normalize=False, flatten=False, one_hot_label=True)
    assert x.shape == (60000, 1, 28, 28) and x.dtype == np.uint8
    np.testing.assert_array_equal(x[:, 0], x_raw)
    assert t.shape == (60000, 10) and tt.shape == (10000, 10) and xt.shape == (10000, 1, 28, 28)
    np.testing.assert_array_equal(t.argmax(1), y_raw)
    assert t[0].tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    (xn, _), _ = mnist.load_mnist(normalize=True, flatten=False)
    assert xn.shape == (60000, 1, 28, 28) and xn.dtype == np.float32
    np.testing.assert_array_equal(xn[:, 0] * 255, x_raw.astype(np.float32))


def test_to_categorical():
    y = to_categorical([0, 2, 1], 4)
    assert y.dtype == np.float32
    assert y.tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]]
    assert to_categorical(np.array([[1], [3]])).shape == (2, 4)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        to_categorical([0, 3], 3)


def _copy_bundled(dest):
    dest.mkdir(parents=True)
    for f in BUNDLED.iterdir():
        shutil.copy(f, dest / f.name)
    return dest


def test_search_order(tmp_path, monkeypatch):
    assert {f.source for f in load_files(mnist.SPEC).values()} == {"bundled"}
    cache = _copy_bundled(tmp_path / "xdg" / "digitlab" / "mnist")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert {f.source for f in load_files(mnist.SPEC).values()} == {"cache"}
    _copy_bundled(tmp_path / "env" / "mnist")
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path / "env"))
    files = load_files(mnist.SPEC)
    assert {f.source for f in files.values()} == {"DIGITLAB_DATA"}
    explicit = _copy_bundled(tmp_path / "explicit")
    files = load_files(mnist.SPEC, explicit)
    assert {f.source for f in files.values()} == {"path="}
    assert files["train_images"].path == explicit / "train-images-idx3-ubyte.gz"
    assert cache.is_dir()


def test_explicit_path_missing_file_is_clear(tmp_path):
    with pytest.raises(DataNotFoundError, match="train-images-idx3-ubyte.gz: no such file"):
        mnist.load_data(path=tmp_path)


def test_raw_idx_files_accepted_under_the_gz_name(tmp_path):
    import gzip
    from pathlib import Path

    d = _copy_bundled(tmp_path / "raw")
    f = d / "t10k-labels-idx1-ubyte.gz"
    f.write_bytes(gzip.decompress(f.read_bytes()))  # bad: .gz name without gzip
    with pytest.raises(ValueError, match="not gzip"):
        mnist.load_data(path=d)


def test_checksum_mismatch_names_the_file(tmp_path):
    from digitlab.idx import read_idx, write_idx

    d = _copy_bundled(tmp_path / "tampered")
    f = d / "train-labels-idx1-ubyte.gz"
    labels = read_idx(f)
    labels[0] = 7
    write_idx(f, labels)
    with pytest.raises(ChecksumError) as e:
        mnist.load_data(path=d)
    assert str(f) in str(e.value) and mnist.SPEC.sha256["train_labels"] in str(e.value)


def test_fashion_mnist_from_debian():
    from digitlab.datasets import fashion_mnist

    if not fashion_mnist.SYSTEM_DIR.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    files = load_files(fashion_mnist.SPEC)
    assert {f.source for f in files.values()} == {"system"}
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_the_mnist_packages_four_functions():
    from digitlab.datasets import mnist

    images, labels = mnist.train_images(), mnist.train_labels()
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8 and labels.shape == (60000,)
    assert labels.dtype == np.uint8 and list(labels[:3]) == [5, 0, 4]
    assert mnist.test_images().shape == (10000, 28, 28) and list(mnist.test_labels()[:3]) == [7, 2, 1]


def test_raschkas_loader(tmp_path):
    import gzip
    from pathlib import Path

    from digitlab.errors import DataNotFoundError, InvalidValueError
    from digitlab.tutorials.raschka import load_mnist

    X, y = load_mnist(kind="t10k")  # bundled
    assert X.shape == (10000, 784) and X.dtype == np.uint8 and y.shape == (10000,) and y[0] == 7
    bundled = Path(mnist.__file__).parent / "data" / "mnist"
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):  # unpacked, as the book does
        (tmp_path / name).write_bytes(gzip.decompress((bundled / f"{name}.gz").read_bytes()))
    X2, y2 = load_mnist(str(tmp_path), kind="t10k")
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    with pytest.raises(DataNotFoundError, match="train-images-idx3-ubyte: no such file"):
        load_mnist(tmp_path, kind="train")
    with pytest.raises(InvalidValueError, match="kind must be 'train' or 't10k'"):
        load_mnist(tmp_path, kind="test")
