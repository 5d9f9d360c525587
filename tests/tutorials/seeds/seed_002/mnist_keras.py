# Seed 002 (Chollet, "Deep Learning with Python", ch. 2, Korean edition notebook): the notebook's cells in order.
import sys

from digitlab import keras  # was: import keras

print(keras.__version__)

# 코드 2-1. 케라스에서 MNIST 데이터셋 적재하기
from digitlab.keras.datasets import mnist  # noqa: E402  was: from keras.datasets import mnist

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
print(train_images.shape)
print(len(train_labels))
print(train_labels)
print(test_images.shape)
print(len(test_labels))
print(test_labels)

import matplotlib.pyplot as plt  # noqa: E402

digit = train_images[4]
plt.imshow(digit, cmap=plt.cm.binary)
plt.savefig('digit.png')  # was: plt.show()

# 코드 2-2. 신경망 구조
from digitlab import models  # noqa: E402  was: from keras import models
from digitlab import layers  # noqa: E402  was: from keras import layers

network = models.Sequential()
network.add(layers.Dense(512, activation='relu', input_shape=(28 * 28,)))
network.add(layers.Dense(10, activation='softmax'))

# 코드 2-3. 컴파일 단계
network.compile(optimizer='rmsprop',
                loss='categorical_crossentropy',
                metrics=['accuracy'])

# 코드 2-4. 이미지 데이터 준비하기
train_images = train_images.reshape((60000, 28 * 28))
train_images = train_images.astype('float32') / 255

test_images = test_images.reshape((10000, 28 * 28))
test_images = test_images.astype('float32') / 255

# 코드 2-5. 레이블 준비하기
from digitlab.keras.utils import to_categorical  # noqa: E402  was: from keras.utils import to_categorical

train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5  # shortened only if the test asks for fewer than 5
network.fit(train_images, train_labels, epochs=epochs, batch_size=128)

test_loss, test_acc = network.evaluate(test_images, test_labels)
print('test_acc:', test_acc)
