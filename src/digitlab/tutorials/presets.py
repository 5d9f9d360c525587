"""The Keras models of seeds 002 and 004, as named presets: architecture, optimizer and training settings.

    keras-512      784-512(relu)-10(softmax), RMSprop, batch 128, 5 epochs   (Deep Learning with Python, ch. 2)
    keras-512-256  784-512-256-10, relu, Adam, batch 128, 10 epochs          (seed 004; it also tries 50)
    default        digitlab's shipped model, made to hold up on photos: best-convnet's layers trained for 15
                   epochs on digits distorted as photos distort them (PHOTO_AUGMENT), lr x0.85 per epoch, half
                   of the ones given a flag (datasets.flagged_ones), as many writers draw them
    default-mlp    the model shipped before the convnets: keras-512-256 on distorted digits, 20 epochs

and the convolutional networks:

    keras-convnet        keras-io's mnist_convnet: conv 32 3x3 - pool - conv 64 3x3 - pool - dropout 0.5 - 10,
                         Adam, batch 128, 15 epochs, validation_split 0.1
    dlfs-simple-convnet  "Deep Learning from Scratch" ch07's SimpleConvNet: conv 30 5x5 - relu - pool - 100 -
                         relu - 10, Adam lr 0.001, batch 100, 20 epochs, the book's initial weights (std 0.01)
    best-convnet         mildly distorted digits (MNIST_AUGMENT), batch norm after every convolution and the
                         hidden layer, Adam with the learning rate decaying by 0.9 each epoch: made for >= 99.6%
                         test accuracy

Inputs are flattened pixels scaled to [0, 1] (convolutional presets reshape them to (28, 28, 1) in
their first layer); labels are integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ..datasets import flagged_ones
from ..errors import InvalidValueError
from ..nn import Sequential, layers, optimizers
from ..nn.initializers import RandomNormal


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    hidden: tuple[int, ...]             # Dense layer sizes (a multilayer perceptron) ...
    optimizer: str
    epochs: int
    batch_size: int = 128
    activation: str = "relu"
    augment: bool = False
    stack: Callable[[int], list] | None = None  # ... or stack(classes): the layers after the 28x28x1 images
    learning_rate: float | None = None  # None: the optimizer's default
    lr_decay_per_epoch: float | None = None  # multiply the learning rate by this after every epoch
    validation_split: float = 0.0       # train on the first part, validate on the rest (as the source does)
    augment_options: tuple = ()         # (name, value) pairs for layers.Augment beyond its defaults
    flag_ones: float = 0.0              # share of the training ones given a flag (datasets.flagged_ones)

    def build(self, seed: int | None = 0, input_size: int = 784, classes: int = 10,
              train_size: int = 60_000) -> Sequential:
        """A compiled model, written as its source writes it: for the MLPs Dense then Activation layers,
        for the convolutional presets the source's layers after a Reshape to (28, 28, 1)."""
        model = Sequential(name=self.name.replace("-", "_"), seed=seed)
        if self.augment:
            model.add(layers.Augment(input_shape=(input_size,), **dict(self.augment_options)))
        if self.stack is not None:
            model.add(layers.Reshape((28, 28, 1), input_shape=None if self.augment else (input_size,)))
            for layer in self.stack(classes):
                model.add(layer)
        else:
            for i, units in enumerate(self.hidden):
                model.add(layers.Dense(units, input_shape=(input_size,) if i == 0 and not self.augment else None))
                model.add(layers.Activation(self.activation))
            model.add(layers.Dense(classes))
            model.add(layers.Activation("softmax"))
        model.compile(optimizer=self.make_optimizer(train_size), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    def training_images(self, x, y, seed: int = 0):
        """x (N, 784) as this preset trains on it: with ``flag_ones``, that share of the ones flagged
        (the same ones for the same seed)."""
        return flagged_ones.with_flags(x, y, self.flag_ones, seed=seed) if self.flag_ones else x

    def make_optimizer(self, train_size: int = 60_000) -> optimizers.Optimizer:
        """The optimizer by name, with the preset's learning rate and its per-epoch decay as a schedule."""
        opt = optimizers.get(self.optimizer)
        lr = self.learning_rate or opt.learning_rate
        if self.lr_decay_per_epoch is not None:
            steps = math.ceil(train_size * (1 - self.validation_split) / self.batch_size)
            lr = optimizers.ExponentialDecay(lr, steps, self.lr_decay_per_epoch, staircase=True)
        opt.learning_rate = lr
        return opt


def keras_convnet(classes: int) -> list:
    """keras-io's mnist_convnet, as the example writes it."""
    return [layers.Conv2D(32, kernel_size=(3, 3), activation="relu"), layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"), layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(), layers.Dropout(0.5), layers.Dense(classes, activation="softmax")]


def dlfs_simple_convnet(classes: int) -> list:
    """The book's SimpleConvNet: weights drawn as its weight_init_std=0.01 does, biases zero."""
    small = {"kernel_initializer": RandomNormal(stddev=0.01)}
    return [layers.Conv2D(30, 5, activation="relu", **small), layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dense(100, activation="relu", **small), layers.Dense(classes, activation="softmax", **small)]


def best_convnet(classes: int) -> list:
    """Conv 32 5x5, two conv 64 3x3, a hidden layer of 128: each followed by batch norm (so no bias) and relu.
    Batch norm's moving averages use momentum 0.9 (PyTorch's default) rather than Keras's 0.99, so they
    settle within an epoch's first ~50 steps, which also makes short test runs meaningful."""
    def block(layer):
        return [layer, layers.BatchNormalization(momentum=0.9), layers.Activation("relu")]
    return [*block(layers.Conv2D(32, 5, use_bias=False)), layers.MaxPooling2D(2),        # 24x24 -> 12x12
            *block(layers.Conv2D(64, 3, use_bias=False)),                                  # 10x10
            *block(layers.Conv2D(64, 3, use_bias=False)), layers.MaxPooling2D(2),        # 8x8 -> 4x4
            layers.Flatten(), *block(layers.Dense(128, use_bias=False)), layers.Dropout(0.4),
            layers.Dense(classes, activation="softmax")]


# distortions matching what photos do to digits: hands that wobble and slant, pens from hairline to marker,
# small and out-of-focus digits
PHOTO_AUGMENT = (("shift", 2.5), ("rotation", 15.0), ("zoom", 0.15), ("shear", 0.3), ("elastic", 1.2),
                 ("blur", 0.3), ("bolder", 0.15))

# distortions within MNIST's own variety: for MNIST's test set, milder than PHOTO_AUGMENT and with no change
# of stroke width (seeds 0, 1, 2: 99.56 / 99.60 / 99.57% against 99.60 / 99.44 / 99.57% with Augment's
# defaults, and a median epoch of 54 s instead of about 73 s, both on a shared machine)
MNIST_AUGMENT = (("shift", 2.0), ("rotation", 10.0), ("zoom", 0.1), ("thickness", False))

PRESETS = {p.name: p for p in (
    Preset("keras-512", "seed 002: 784-512-10, RMSprop, 5 epochs", (512,), "rmsprop", 5),
    Preset("keras-512-256", "seed 004: 784-512-256-10, Adam, 10 epochs", (512, 256), "adam", 10),
    Preset("default", "the shipped model: a small convnet (conv32 5x5-pool-conv64-conv64-pool-128, batch norm), Adam "
           "with lr x0.85 per epoch, 15 epochs of digits distorted as photos distort them, half the ones flagged",
           (), "adam", 15, augment=True, augment_options=PHOTO_AUGMENT, stack=best_convnet, lr_decay_per_epoch=0.85,
           flag_ones=0.5),
    Preset("default-mlp", "the model shipped before: 784-512-256-10, Adam, 20 epochs of distorted digits", (512, 256),
           "adam", 20, augment=True),
    Preset("keras-convnet", "keras-io mnist_convnet: conv32-pool-conv64-pool-dropout-10, Adam, 15 epochs", (),
           "adam", 15, stack=keras_convnet, validation_split=0.1),
    Preset("dlfs-simple-convnet", "the book's ch07 SimpleConvNet: conv30 5x5-pool-100-10, Adam, batch 100, 20 epochs",
           (), "adam", 20, batch_size=100, stack=dlfs_simple_convnet),
    Preset("best-convnet", "conv32 5x5-pool-conv64-conv64-pool-128 with batch norm, mildly distorted digits, "
           "Adam with lr x0.9 per epoch, 15 epochs", (), "adam", 15, augment=True, stack=best_convnet,
           lr_decay_per_epoch=0.9, augment_options=MNIST_AUGMENT),
)}


def get(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise InvalidValueError(f"unknown preset {name!r} (expected one of: {', '.join(PRESETS)})") from None


CONV_ITEMS = ("conv", "pool", "avgpool", "bn", "dropout", "gap")


def is_conv_spec(spec: str) -> bool:
    """Whether a ``--layers`` string names a convolutional network (an item such as conv32 or pool)."""
    return any(t.strip().split(":")[0].rstrip("0123456789") in CONV_ITEMS for t in spec.split(","))


def stack_from_spec(spec: str, activation: str = "relu") -> Callable[[int], list]:
    """The layers a ``--layers`` string names, for a convolutional model on 28x28x1 images:

        conv32 / conv32:5 / conv32:3:same   Conv2D(32, 3 or 5, padding "valid" or "same") with the activation
        pool / pool:3                       MaxPooling2D(2 or 3)
        avgpool / avgpool:3                 AveragePooling2D
        bn                                  BatchNormalization
        dropout:0.5                         Dropout(0.5)
        gap                                 GlobalAveragePooling2D
        128                                 Dense(128) with the activation (Flatten is put in before it)

    e.g. "conv32,pool,conv64,pool,dropout:0.5" is keras-io's mnist_convnet. The output layer (softmax) follows."""
    def number(text, kind, token):
        try:
            return kind(text)
        except ValueError:
            raise InvalidValueError(f"--layers {spec!r}: {token!r} needs a number after the colon") from None

    built = []  # (factory, is an image layer)
    for token in (t.strip() for t in spec.split(",") if t.strip()):
        name, *args = token.split(":")
        if name.startswith("conv") and name[4:].isdigit():
            size = number(args[0], int, token) if args else 3
            padding = args[1] if len(args) > 1 else "valid"
            built.append((lambda f=int(name[4:]), k=size, p=padding: layers.Conv2D(f, k, padding=p, activation=activation), True))
        elif name in ("pool", "avgpool"):
            size = number(args[0], int, token) if args else 2
            kind = layers.MaxPooling2D if name == "pool" else layers.AveragePooling2D
            built.append((lambda k=kind, s=size: k(s), True))
        elif name == "bn":
            built.append((layers.BatchNormalization, None))
        elif name == "dropout":
            rate = number(args[0] if args else "", float, token)
            built.append((lambda r=rate: layers.Dropout(r), None))
        elif name == "gap":
            built.append((layers.GlobalAveragePooling2D, False))
        elif name.isdigit() and not args:
            built.append((lambda u=int(name): layers.Dense(u, activation=activation), False))
        else:
            raise InvalidValueError(f"--layers {spec!r}: unknown item {token!r} (expected conv32, conv32:5, "
                                    "conv32:3:same, pool, pool:3, avgpool, bn, dropout:0.5, gap or a Dense size)")

    def stack(classes: int) -> list:
        out, images = [], True
        for factory, image_layer in built:
            if image_layer and not images:
                raise InvalidValueError(f"--layers {spec!r}: a convolution or pooling cannot follow a Dense layer")
            if image_layer is False and images and factory is not layers.GlobalAveragePooling2D:
                out.append(layers.Flatten())
            if image_layer is False:
                images = False
            out.append(factory())
        if images:
            out.append(layers.Flatten())
        return [*out, layers.Dense(classes, activation="softmax")]
    stack(10)  # refuse a bad order now, not when training starts
    return stack
