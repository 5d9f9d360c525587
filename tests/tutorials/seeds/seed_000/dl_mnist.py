# Seed 000: Raschka's multilayer perceptron on MNIST, the listings dl_load_digits.py, dl_show_09digits.py,
# dl_show_samedigits.py, dl_mlp_learning.py, dl_load_mlpobj.py, dl_plot_cost1.py, dl_plot_cost2.py,
# dl_mlp_predict_train.py, dl_mlp_predict_test.py and the misclassified digits, appended one after another as
# the tutorial says. Expects the four MNIST files unpacked in data/mnist/, as the tutorial has the reader do.
import os  # noqa: F401  (the seed imports them for its own loader)
import struct  # noqa: F401
import sys

import matplotlib.pyplot as plt
import numpy as np

from digitlab.tutorials.raschka import NeuralNetMLP, load_mnist  # was: the pasted load_mnist and dl_mlp_class.py

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000  # shortened: the test passes fewer than the seed's 1000

# dl_load_digits.py
X_train, y_train = load_mnist('data/mnist', kind='train')
print('학습 샘플수\t: %d, 컬럼수: %d' % (X_train.shape[0], X_train.shape[1]))
X_test, y_test = load_mnist('data/mnist', kind='t10k')
print('테스트 샘플수\t: %d, 컬럼수: %d' % (X_test.shape[0], X_test.shape[1]))

# dl_show_09digits.py
fig, ax = plt.subplots(nrows=2, ncols=5, sharex=True, sharey=True)
ax = ax.flatten()
for i in range(10):
    img = X_train[y_train == i][0].reshape(28, 28)
    ax[i].imshow(img, cmap='Greys', interpolation='nearest')
ax[0].set_xticks([])
ax[0].set_yticks([])
plt.tight_layout()
plt.savefig('09digits.png')  # was: plt.show()

# dl_show_samedigits.py
fig, ax = plt.subplots(nrows=5, ncols=5, sharex=True, sharey=True)
ax = ax.flatten()
for i in range(25):
    img = X_train[y_train == 6][i].reshape(28, 28)
    ax[i].imshow(img, cmap='Greys', interpolation='nearest')
ax[0].set_xticks([])
ax[0].set_yticks([])
plt.tight_layout()
plt.savefig('samedigits.png')  # was: plt.show()

# dl_mlp_learning.py
mlp = NeuralNetMLP(n_output=10, n_features=X_train.shape[1], n_hidden=50, l2=0.1, l1=0.0,
                   epochs=EPOCHS,  # shortened: was epochs=1000
                   eta=0.001, alpha=0.001, decrease_const=0.00001, shuffle=True, minibatches=50, random_state=1)
mlp.fit(X_train, y_train, print_progress=True)

# left out: dl_mlp_learning.py's dump of the trained object with pickle, and dl_load_mlpobj.py's load of it.
# Loading a pickle runs whatever code it carries, and digitlab reads pickles only through its arrays-only
# loader. The trained mlp stays in memory; mlp.model.save('mlp_digits.safetensors') keeps its weights safely.

# dl_plot_cost1.py
plt.figure()
plt.plot(range(len(mlp.cost_)), mlp.cost_)
plt.ylim([0, 2000])
plt.ylabel('Cost')
plt.xlabel('Epochs * 50')
plt.tight_layout()
plt.savefig('cost1.png')  # was: plt.show()

# dl_plot_cost2.py
batches = np.array_split(range(len(mlp.cost_)), EPOCHS)  # was: 1000, the number of epochs
cost_ary = np.array(mlp.cost_)
cost_avgs = [np.mean(cost_ary[i]) for i in batches]
plt.figure()
plt.plot(range(len(cost_avgs)), cost_avgs, color='red')
plt.ylim([0, 2000])
plt.ylabel('Cost')
plt.xlabel('Epochs')
plt.tight_layout()
plt.savefig('cost2.png')  # was: plt.show()

# dl_mlp_predict_train.py
y_train_pred = mlp.predict(X_train)
acc = np.sum(y_train == y_train_pred, axis=0)
print('예측성공/총개수: [%d]/[%d]' % (acc, X_train.shape[0]))
print('딥러닝 정확도: %.2f%%' % (acc * 100 / X_train.shape[0]))

# dl_mlp_predict_test.py
y_test_pred = mlp.predict(X_test)
acc = np.sum(y_test == y_test_pred, axis=0)
print('예측성공/총개수: [%d]/[%d]' % (acc, X_test.shape[0]))
print('딥러닝 정확도: %.2f%%' % (acc * 100 / X_test.shape[0]))

# the misclassified digits
miscl_img = X_test[y_test != y_test_pred][:25]
correct_lab = y_test[y_test != y_test_pred][:25]
miscl_lab = y_test_pred[y_test != y_test_pred][:25]
fig, ax = plt.subplots(nrows=5, ncols=5, sharex=True, sharey=True)
ax = ax.flatten()
for i in range(25):
    img = miscl_img[i].reshape(28, 28)
    ax[i].imshow(img, cmap='Greys', interpolation='nearest')
    ax[i].set_title('%d) t: %d p: %d' % (i + 1, correct_lab[i], miscl_lab[i]))
ax[0].set_xticks([])
ax[0].set_yticks([])
plt.tight_layout()
plt.savefig('misclassified.png')  # was: plt.show()
