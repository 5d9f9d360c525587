"""Seed 002's Keras network in digitlab: 784-512(relu)-10(softmax), RMSprop, 5 epochs.

    python examples/train_mnist.py            # full MNIST: 98.19% test accuracy with these seeds
    python examples/train_mnist.py --quick    # a small slice, for CI; fails below its accuracy floor
"""

import argparse

from digitlab import Sequential, layers, load_model
from digitlab.datasets import mnist
from digitlab.utils import to_categorical

parser = argparse.ArgumentParser(description="Train seed 002's MNIST network.")
parser.add_argument("--quick", action="store_true", help="train on 10,000 images for 2 epochs")
parser.add_argument("--out", default="mnist.safetensors", help="where to save the model")
args = parser.parse_args()

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 784).astype("float32") / 255
x_test = x_test.reshape(10000, 784).astype("float32") / 255
y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)
epochs, floor = 5, 0.977
if args.quick:
    x_train, y_train, epochs, floor = x_train[:10000], y_train[:10000], 2, 0.88

model = Sequential(seed=0)  # seeds the initial weights; fit(seed=...) seeds shuffling
model.add(layers.Dense(512, activation="relu", input_shape=(784,)))
model.add(layers.Dense(10, activation="softmax"))
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.summary()
model.fit(x_train, y_train, epochs=epochs, batch_size=128, validation_data=(x_test, y_test), seed=0)

model.save(args.out)
loss, acc = load_model(args.out).evaluate(x_test, y_test)
print(f"test loss {loss:.4f}, test accuracy {acc:.4f} (saved to {args.out})")
if acc < floor:
    raise SystemExit(f"accuracy {acc:.4f} is below the floor {floor}")
