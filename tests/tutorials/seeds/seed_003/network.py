# Seed 003: network.py, the two-layer network with numerical gradients.
from digitlab.tutorials.dlfs.gradient import *  # noqa: F401,F403  was: from gradient import *
from digitlab.tutorials.dlfs.layers import *  # noqa: F401,F403  was: from layers import *


class TwoLayerNet:
    # 생성자에서 하이퍼 파라미터를 받는다
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        # 가중치(Weight) 초기화
        # W1, W2 가중치는 정규 분포로 초기화
        # b1, b2 편향은 0으로 초기화
        self.params = {
            'W1': weight_init_std * np.random.randn(input_size, hidden_size),
            'b1': np.zeros(hidden_size),
            'W2': weight_init_std * np.random.randn(hidden_size, output_size),
            'b2': np.zeros(output_size)
        }

    # 예측, 추론
    def predict(self, x):
        W1, W2 = self.params['W1'], self.params['W2']
        b1, b2 = self.params['b1'], self.params['b2']
        a1 = np.matmul(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.matmul(z1, W2) + b2
        y = softmax(a2)
        return y

    # 손실함수
    def loss(self, x, label):
        y = self.predict(x)
        return cross_entropy_error(y, label)

    # 정확도 계산
    def accuracy(self, x, label):
        y = self.predict(x)
        y = np.argmax(y, axis=1)
        # if label.size == y.size:
        # label = np.argmax(label, axis=1)
        accuracy = np.sum(y == label) / float(x.shape[0])
        return accuracy

    # 가중치 매개변수의 기울기를 구한다.
    def numerical_gradient(self, x, label):
        def loss_weight(W):
            return self.loss(x, label)

        grads = {
            'W1': numerical_gradient(loss_weight, self.params['W1']),
            'b1': numerical_gradient(loss_weight, self.params['b1']),
            'W2': numerical_gradient(loss_weight, self.params['W2']),
            'b2': numerical_gradient(loss_weight, self.params['b2'])
        }
        return grads
