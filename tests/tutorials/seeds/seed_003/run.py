# Seed 003: run.py, training the two-layer network with numerical gradients. (The seed's two short snippets
# before this listing use undefined names, `train_images` and `trains_images`; this is the listing that runs.)
import sys

from matplotlib import pyplot as plt

from digitlab.datasets import mnist  # was: import mnist
from network import *  # noqa: F401,F403

# 학습용 이미지
train_images = mnist.train_images()
# 학습전에 실제 이미지를 확인해 보자.
# plt.imshow(train_images[0, :, :] * -1 + 256, interpolation='nearest')
# plt.show()
train_x = train_images.reshape(train_images.shape[0], train_images.shape[1] * train_images.shape[2]) / 255
train_labels = mnist.train_labels()

# 검증용 이미지
test_images = mnist.test_images()
test_x = test_images.reshape(test_images.shape[0], test_images.shape[1] * test_images.shape[2]) / 255
test_labels = mnist.test_labels()

network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)

# 손실율 저장
train_loss_list = []
train_acc_list = []
test_acc_list = []

# 하이퍼 파라미터
iters_num = int(sys.argv[1]) if len(sys.argv) > 1 else 10000  # shortened: the test passes far fewer (50 hours)
train_size = train_x.shape[0]
batch_size = 100
learning_rate = 0.1

# 1 epoch 당 반복 수
iter_per_epoch = max(train_size / batch_size, 1)

for i in range(iters_num):
    # 미니배치 획득
    batch_mask = np.random.choice(train_size, batch_size)
    batch_x = train_x[batch_mask]
    batch_labels = train_labels[batch_mask]

    # 기울기 계산
    grad = network.numerical_gradient(batch_x, batch_labels)

    # 매개변수 갱신
    for key in ('W1', 'b1', 'W2', 'b2'):
        network.params[key] -= learning_rate * grad[key]

    # 학습 경과 기록
    loss = network.loss(batch_x, batch_labels)
    train_loss_list.append(loss)

    # 1에폭당 정확도 계산
    if i % iter_per_epoch == 0:
        train_acc = network.accuracy(train_x, train_labels)
        test_acc = network.accuracy(test_x, test_labels)
        train_acc_list.append(train_acc)
        test_acc_list.append(test_acc)
        print("train acc, test acc | " + str(train_acc) + ", " + str(test_acc))

# 정확도 그래프 그리기
markers = {'train': 'o', 'test': 's'}
x = np.arange(len(train_acc_list))
plt.plot(x, train_acc_list, label='train acc')
plt.plot(x, test_acc_list, label='test acc', linestyle='--')
plt.xlabel("epochs")
plt.ylabel("accuracy")
plt.ylim(0, 1.0)
plt.legend(loc='lower right')
plt.savefig('accuracy.png')  # was: plt.show()
print("train loss | " + " ".join("%.4f" % v for v in train_loss_list))
