"""Writes the tutorial notebooks (*.ipynb here) from the cells below: `python examples/notebooks/build.py`.

The notebooks are what learners open (Jupyter, Colab); this file is their reviewable source. Each
markdown cell is Korean first, English beside it. The cell tagged "parameters" holds ``SMALL = False``;
tests/test_notebooks.py sets it to True and runs every notebook top to bottom with nbclient.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
COLAB = ("> **Colab**: 첫 셀에서 `%pip install digitlab` (또는 이 저장소를 받아 `pip install .`) 하고 시작하세요.  \n"
         "> *On Colab, run `%pip install digitlab` (or `pip install .` in a clone of this repository) first.*")
PARAMETERS = ("SMALL = False  # True: 데이터의 작은 조각으로 몇 초 만에 / a small slice, in seconds (CI runs it so)\n")


def md(korean: str, english: str):
    return new_markdown_cell(f"{korean}\n\n*{english}*")


def notebook(name: str, title_ko: str, title_en: str, cells: list) -> None:
    parameters = new_code_cell(PARAMETERS)
    parameters.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell(f"# {title_ko}\n\n*{title_en}*\n\n{COLAB}"), parameters, *cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell.id = f"{name}-{i:02d}"  # stable ids: rebuilding changes only what changed
    nbformat.write(nb, HERE / f"{name}.ipynb")


code = new_code_cell

notebook("01_data", "1. MNIST 데이터 살펴보기", "1. Looking at the MNIST data", [
    md("MNIST는 손으로 쓴 숫자 70,000장(학습 60,000장, 테스트 10,000장)이고, 한 장은 28x28 픽셀의 흑백 이미지입니다. "
       "digitlab에는 MNIST가 들어 있어 인터넷 없이 읽힙니다.",
       "MNIST is 70,000 handwritten digits (60,000 to train on, 10,000 to test), each 28x28 grey pixels. "
       "digitlab ships it, so it loads offline."),
    code("from digitlab import plots\nfrom digitlab.datasets import mnist\n\n"
         "(x_train, y_train), (x_test, y_test) = mnist.load_data()\n"
         "print('학습 / train:', x_train.shape, x_train.dtype, ' 테스트 / test:', x_test.shape)\n"
         "print('첫 레이블 / first labels:', y_train[:10])"),
    md("숫자 하나를 그림으로 봅니다 (seed 002처럼). 종이 위의 잉크처럼 흰 바탕에 검게 그립니다.",
       "One digit as a picture (as seed 002 shows it): dark ink on white paper."),
    code("plots.digits(x_train[:1], y_train[:1], title='x_train[0]')"),
    md("0부터 9까지 각 숫자의 첫 예제 (seed 000의 첫 그림).", "The first example of each digit, 0 to 9 (seed 000's first picture)."),
    code("import numpy as np\n\nfirst = [np.flatnonzero(y_train == d)[0] for d in range(10)]\n"
         "plots.digits(x_train[first], y_train[first], title='0-9', cols=5)"),
    md("같은 숫자도 사람마다 다르게 씁니다: 6을 25개 (seed 000의 두 번째 그림).",
       "The same digit written by different people: 25 sixes (seed 000's second picture)."),
    code("sixes = np.flatnonzero(y_train == 6)[:25]\nplots.digits(x_train[sixes], title='6 x 25', cols=5)"),
    md("픽셀 값은 0(배경)부터 255(잉크)까지입니다. 신경망에 넣기 전에 784개의 값으로 펴고 0..1로 나눕니다.",
       "Pixels run from 0 (background) to 255 (ink). Before a network sees them they are flattened to 784 "
       "values and scaled to 0..1."),
    code("x = x_train.reshape(len(x_train), 784).astype('float32') / 255\n"
         "print(x.shape, x.min(), x.max())\nprint('클래스별 개수 / per class:', np.bincount(y_train))"),
])

notebook("02_network_by_hand", "2. 손으로 만드는 신경망 (밑바닥부터 시작하는 딥러닝 3장)",
         "2. A network by hand (Deep Learning from Scratch, ch. 3)", [
    md("책에 실린 학습된 가중치(`sample_weight.pkl`, 784-50-100-10)로, NumPy 행렬 곱 세 번만으로 숫자를 읽습니다 (seed 001). "
       "digitlab은 이 가중치를 함께 배포하고, pickle 안의 배열만 읽습니다 (코드는 실행하지 않음).",
       "With the book's trained weights (`sample_weight.pkl`, 784-50-100-10), three NumPy matrix products read "
       "a digit (seed 001). digitlab ships the weights and reads only arrays from the pickle (no code runs)."),
    code("import numpy as np\nfrom digitlab import plots\nfrom digitlab.datasets.mnist import load_mnist\n"
         "from digitlab.tutorials import legacy_pickle\n\n"
         "(x_train, t_train), (x_test, t_test) = load_mnist(flatten=True, normalize=True, one_hot_label=False)\n"
         "network = legacy_pickle.load_pickled_weights(legacy_pickle.bundled_weights('sample_weight'))\n"
         "{k: v.shape for k, v in network.items()}"),
    md("순전파: 시그모이드 은닉층 두 개와 소프트맥스 출력층.", "The forward pass: two sigmoid hidden layers and a softmax output."),
    code("def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\n\n"
         "def softmax(a):\n    e = np.exp(a - a.max(axis=-1, keepdims=True))  # 넘침 방지 / no overflow\n"
         "    return e / e.sum(axis=-1, keepdims=True)\n\n\n"
         "def predict(network, x):\n    z1 = sigmoid(x @ network['W1'] + network['b1'])\n"
         "    z2 = sigmoid(z1 @ network['W2'] + network['b2'])\n    return softmax(z2 @ network['W3'] + network['b3'])"),
    md("테스트 숫자 하나의 열 가지 확률.", "The ten probabilities for one test digit."),
    code("y = predict(network, x_test[0])\nplots.probabilities(y, x_test[0], label=t_test[0])"),
    md("배치 처리: 100장씩 한꺼번에 계산해도 결과는 같고 훨씬 빠릅니다.",
       "In batches: 100 images at a time give the same answers, much faster."),
    code("n = 1000 if SMALL else len(x_test)\nbatch_size = 100\naccuracy_cnt = 0\n"
         "for i in range(0, n, batch_size):\n    p = predict(network, x_test[i:i + batch_size]).argmax(axis=1)\n"
         "    accuracy_cnt += int((p == t_test[i:i + batch_size]).sum())\n"
         "print(f'정확도 / accuracy: {accuracy_cnt / n:.4f}')  # 전체 10,000장에서 책은 0.9352 / the book: 0.9352 on all 10,000"),
    md("첫 층의 가중치를 28x28 그림으로: 은닉 뉴런 50개가 각각 어떤 모양의 획에 반응하는지 보입니다.",
       "The first layer's weights as 28x28 pictures: which strokes each of the 50 hidden units responds to."),
    code("plots.dense_weights(network['W1'], count=50, title='W1: 은닉 뉴런 50개 / the 50 hidden units')"),
])

notebook("03_backprop_vs_numerical", "3. 오차역전파 vs 수치 미분", "3. Backpropagation vs numerical gradients", [
    md("2층 신경망(784-50-10)의 기울기를 두 가지로 구합니다: 수치 미분(가중치마다 조금 움직여 손실 차이를 봄)과 "
       "오차역전파. 둘은 같은 값을 주고, 역전파가 훨씬 빠릅니다 (seed 003). (seed 003처럼 가중치 하나마다 "
       "신경망 전체를 다시 계산하면 수치 미분으로 10,000번 학습하는 데 며칠이 걸립니다; digitlab의 "
       "`numerical_gradient`는 가중치 하나가 바꾸는 부분만 다시 계산합니다.)",
       "The gradients of a two-layer network (784-50-10) two ways: numerically (nudge each weight, watch the "
       "loss) and by backpropagation. They agree, and backprop is much faster (seed 003). (Recomputing the whole "
       "network for every weight, as seed 003 does, 10,000 numerical steps take days; digitlab's "
       "`numerical_gradient` recomputes only what each weight changes.)"),
    code("import time\n\nimport numpy as np\nfrom digitlab import plots\nfrom digitlab.datasets.mnist import load_mnist\n"
         "from digitlab.tutorials.two_layer_net import TwoLayerNet, train\n\n"
         "(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)\n"
         "network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, seed=0)\n"
         "x_batch, t_batch = x_train[:3], t_train[:3]"),
    code("start = time.perf_counter()\ngrad_numerical = network.numerical_gradient(x_batch, t_batch)\n"
         "numerical_seconds = time.perf_counter() - start\nstart = time.perf_counter()\n"
         "grad_backprop = network.gradient(x_batch, t_batch)\nbackprop_seconds = time.perf_counter() - start\n"
         "for key in ('W1', 'b1', 'W2', 'b2'):\n"
         "    diff = np.abs(grad_backprop[key] - grad_numerical[key]).mean()\n"
         "    print(f'{key}: 평균 차이 / mean difference {diff:.2e}')\n"
         "print(f'수치 미분 / numerical {numerical_seconds:.4f}s, 역전파 / backprop {backprop_seconds:.5f}s: '\n"
         "      f'{numerical_seconds / backprop_seconds:.0f}x')"),
    md("역전파로 학습합니다: 미니배치 100, 학습률 0.1. 에포크마다 학습/테스트 정확도를 기록합니다.",
       "Training with backprop: minibatches of 100, learning rate 0.1; train and test accuracy once per epoch."),
    code("iters = 1200 if SMALL else 10_000\n"
         "result = train(network, x_train, t_train, x_test, t_test, iters=iters, batch_size=100, learning_rate=0.1)\n"
         "sorted(result)"),
    md("seed 003의 정확도 그래프.", "seed 003's accuracy plot."),
    code("plots.line_plot({'train acc': result['train_acc'], 'test acc': result['test_acc']},\n"
         "                'accuracy per epoch', 'epochs', 'accuracy', ylim=(0, 1), integer_x=True)"),
])

notebook("04_keras_training", "4. Keras 방식으로 학습하기", "4. Training the Keras way", [
    md("seed 002와 004의 Keras 코드를 그대로 씁니다. `digitlab.keras`는 Keras의 모듈 이름을 따르므로 "
       "`from keras...`를 `from digitlab.keras...`로만 바꾸면 됩니다.",
       "Seeds 002 and 004's Keras code as written: `digitlab.keras` has Keras's module names, so only "
       "`from keras...` becomes `from digitlab.keras...`."),
    code("import numpy as np\nfrom digitlab import plots\nfrom digitlab.keras import layers, models\n"
         "from digitlab.keras.datasets import mnist\nfrom digitlab.keras.utils import to_categorical\n\n"
         "(train_images, train_labels), (test_images, test_labels) = mnist.load_data()\n"
         "n = 3000 if SMALL else len(train_images)\n"
         "train_images = train_images[:n].reshape((n, 28 * 28)).astype('float32') / 255\n"
         "test_images = test_images.reshape((10000, 28 * 28)).astype('float32') / 255\n"
         "train_labels, test_labels = to_categorical(train_labels[:n]), to_categorical(test_labels)"),
    code("network = models.Sequential()\nnetwork.add(layers.Dense(512, activation='relu', input_shape=(28 * 28,)))\n"
         "network.add(layers.Dense(10, activation='softmax'))\n"
         "network.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])\nnetwork.summary()"),
    md("학습: 노트북에서는 에포크마다 진행 막대 하나가 깔끔하게 보이고, 끝나면 한 줄로 남습니다.",
       "Training: in a notebook, one clean live bar per epoch, left as one line when the epoch ends."),
    code("history = network.fit(train_images, train_labels, epochs=2 if SMALL else 5, batch_size=128,\n"
         "                      validation_data=(test_images, test_labels))"),
    code("test_loss, test_acc = network.evaluate(test_images, test_labels)\nprint('test_acc:', test_acc)"),
    md("학습 곡선: 미니배치마다의 비용, 에포크마다의 비용, 정확도.", "Training curves: cost per minibatch, per epoch, and accuracy."),
    code("history.plot()"),
    md("모델이 틀린 숫자들 (seed 000의 마지막 그림): 위에 정답과 모델의 답.",
       "Digits the model gets wrong (seed 000's last picture), the truth and the model's answer above each."),
    code("network.plot_misclassified(test_images, test_labels, count=25)"),
    md("맞힌 숫자 9개 (seed 004).", "Nine it gets right (seed 004)."),
    code("predicted = network.predict(test_images).argmax(axis=1)\ntruth = test_labels.argmax(axis=1)\n"
         "right = np.flatnonzero(predicted == truth)[:9]\n"
         "plots.digits(test_images[right], truth[right], predicted[right], title='correct', cols=3)"),
    md("신경망이 배운 것: 첫 Dense 층에서 은닉 뉴런 하나로 들어가는 가중치 784개를 28x28로 펼치면 "
       "그 뉴런이 좋아하는(빨강) 획과 싫어하는(파랑) 획이 보입니다.",
       "What the network learned: the 784 weights into one hidden unit, laid out as 28x28, show the strokes "
       "it likes (red) and dislikes (blue)."),
    code("network.plot_weights(count=36)"),
    code("plots.probabilities(network.predict(test_images[:1])[0], test_images[0], label=truth[0])"),
    code("network.save('keras_512.safetensors')  # digitlab plot --weights keras_512.safetensors 로 같은 그림들 / the same pictures"),
])

notebook("05_convnet", "5. 합성곱 신경망", "5. A convolutional network", [
    md("합성곱 층은 작은 필터(예: 3x3)를 이미지 위로 밀며 같은 무늬를 어디서든 찾습니다. 입력은 채널이 마지막인 "
       "(28, 28, 1) 모양입니다. (digitlab의 `Conv2D`가 필요합니다.)",
       "A convolution slides small filters (3x3, say) over the image and finds the same pattern anywhere. "
       "Inputs are channels-last, (28, 28, 1). (Needs digitlab's `Conv2D`.)"),
    code("import numpy as np\nfrom digitlab import plots\nfrom digitlab.keras import layers, models\n"
         "from digitlab.keras.datasets import mnist\n\n(x_train, y_train), (x_test, y_test) = mnist.load_data()\n"
         "n = 2000 if SMALL else len(x_train)\nx_train = x_train[:n].reshape(n, 28, 28, 1).astype('float32') / 255\n"
         "y_train = y_train[:n]\nx_test = x_test.reshape(-1, 28, 28, 1).astype('float32') / 255"),
    code("model = models.Sequential([\n    layers.Conv2D(8, (3, 3), activation='relu', input_shape=(28, 28, 1)),\n"
         "    layers.MaxPooling2D((2, 2)),\n    layers.Flatten(),\n    layers.Dense(10, activation='softmax'),\n])\n"
         "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
         "history = model.fit(x_train, y_train, epochs=1 if SMALL else 3, batch_size=64)\n"
         "model.evaluate(x_test[:1000], y_test[:1000])"),
    md("첫 합성곱 층의 필터 8개.", "The first convolution's eight filters."),
    code("plots.conv_filters(model.layers[0].params['kernel'])"),
    md("숫자 하나가 만드는 특성 맵: 필터마다 그 무늬가 있는 곳이 밝습니다.",
       "The feature maps one digit makes: each is bright where its filter's pattern is."),
    code("plots.feature_maps(model, x_test[0])"),
    code("history.plot()"),
])

notebook("06_your_photo", "6. 내가 찍은 숫자 사진 읽기", "6. Reading a photo of your own digit", [
    md("seed 000은 '사진을 28x28로 줄이고 임계값을 적용해 predict하라'로 끝납니다. 그렇게 하면 사진은 색이 반대이고, "
       "크기와 위치가 MNIST와 달라 거의 틀립니다. `to_mnist`는 MNIST를 만든 방식대로 준비합니다: 잉크를 찾아 "
       "흰색으로, 잘라서 20픽셀로, 28x28 안에 질량 중심으로.",
       "Seed 000 ends with 'resize your photo to 28x28, threshold it, call predict'. Done so, the photo has the "
       "wrong polarity, scale and position, and is mostly misread. `to_mnist` prepares it the way MNIST was "
       "made: ink found and made white, cropped and scaled to 20 px, centred by mass in 28x28."),
    md("여기서는 종이에 펜으로 쓴 7을 흉내 낸 사진을 만듭니다. 직접 찍은 사진이 있으면 `photo = 'my_digit.jpg'`로 "
       "바꾸세요 (Colab에서는 왼쪽 파일 창으로 올립니다).",
       "Here we make a stand-in photo of a 7 written in pen on paper. With a photo of your own, set "
       "`photo = 'my_digit.jpg'` (on Colab, upload it in the file pane on the left)."),
    code("from PIL import Image, ImageDraw, ImageFilter\n\n"
         "paper = Image.new('RGB', (400, 300), (236, 228, 210))\npen = ImageDraw.Draw(paper)\n"
         "pen.line([(150, 70), (260, 75), (190, 240)], fill=(40, 40, 70), width=14, joint='curve')\n"
         "paper = paper.filter(ImageFilter.GaussianBlur(1.5))\npaper.save('my_digit.jpg')\nphoto = 'my_digit.jpg'\npaper"),
    code("import numpy as np\nfrom digitlab import plots\nfrom digitlab.vision import predict\n"
         "from digitlab.vision.preprocess import to_mnist\n\n"
         "digit = to_mnist(photo)  # (28, 28) float32, 잉크는 흰색 / ink white\n"
         "naive = np.asarray(Image.open(photo).convert('L').resize((28, 28))) < 127  # seed 000의 방법 / seed 000's recipe\n"
         "plots.image_grid(np.stack([naive.astype('float32'), digit]), ['resize + threshold', 'to_mnist'],\n"
         "                 'what the model is given')"),
    code("model = predict.load()  # digitlab에 들어 있는 모델 / the model shipped with digitlab\n"
         "p = predict.predict_digits(model, digit[None])[0]\nplots.probabilities(p, digit)"),
    md("명령줄에서는 `digitlab predict my_digit.jpg --top 3` 이 같은 일을 합니다.",
       "On the command line, `digitlab predict my_digit.jpg --top 3` does the same."),
])

notebook("07_your_handwriting", "7. 내 손글씨 가르치기", "7. Teaching it your handwriting", [
    md("모델이 내 글씨를 자꾸 틀리면, 내 글씨 몇 장을 MNIST에 섞어 조금 더 학습시킵니다(미세 조정). "
       "여기서는 '내 글씨'를 기울어진 획으로 흉내 냅니다; 직접 쓴 사진 파일들로 바꾸면 됩니다.",
       "When the model keeps misreading your writing, train it a little more on a few of your digits mixed "
       "into MNIST (fine-tuning). Here 'your writing' is imitated with slanted strokes; use your own photos instead."),
    code("import numpy as np\nfrom PIL import Image, ImageDraw\nfrom digitlab import load_model, plots\n"
         "from digitlab.datasets import mnist\nfrom digitlab.vision import predict\nfrom digitlab.vision.preprocess import to_mnist\n\n"
         "rng = np.random.default_rng(0)\n\n\ndef my_one():\n"
         "    \"\"\"A '1' written my way: a long slanted stroke with a flag at the top.\"\"\"\n"
         "    img = Image.new('L', (200, 200), 235)\n    pen = ImageDraw.Draw(img)\n"
         "    x0, lean = rng.uniform(80, 120), rng.uniform(40, 70)\n"
         "    pen.line([(x0 - 30, 60), (x0 + lean, 30), (x0, 175)], fill=30, width=int(rng.uniform(9, 15)), joint='curve')\n"
         "    return img\n\n\nmine = np.stack([to_mnist(my_one()) for _ in range(40)])\nlabels = np.ones(len(mine), dtype=int)\n"
         "plots.digits(mine[:10], labels[:10], title='my handwriting', cols=5)"),
    md("먼저 배포된 모델이 내 글씨를 얼마나 읽는지 봅니다 (뒤 20장은 시험용으로 남겨 둡니다).",
       "First, how well the shipped model reads it (the last 20 are kept aside for testing)."),
    code("model = load_model(predict.DEFAULT_MODEL)\nbefore = model.predict(mine[20:].reshape(-1, 784)).argmax(axis=1)\n"
         "print('미세 조정 전 / before:', before, f'{(before == 1).mean():.0%}')"),
    md("내 글씨 20장을 MNIST 일부와 섞어 작은 학습률로 조금 더 학습합니다.",
       "Fine-tune on 20 of mine mixed with part of MNIST, at a small learning rate."),
    code("from digitlab import optimizers\n\n(x_train, y_train), _ = mnist.load_data()\nn = 2000 if SMALL else 20000\n"
         "x_mix = np.concatenate([x_train[:n].reshape(n, 784) / 255, np.repeat(mine[:20].reshape(20, 784), 10, axis=0)])\n"
         "y_mix = np.concatenate([y_train[:n], np.repeat(labels[:20], 10)])\n"
         "model.compile(optimizers.Adam(1e-4), 'sparse_categorical_crossentropy', ['accuracy'])\n"
         "history = model.fit(x_mix.astype('float32'), y_mix, epochs=2, batch_size=64, seed=0)"),
    code("after = model.predict(mine[20:].reshape(-1, 784)).argmax(axis=1)\n"
         "print('미세 조정 후 / after:', after, f'{(after == 1).mean():.0%}')\n"
         "plots.probabilities(model.predict(mine[20:21].reshape(1, 784))[0], mine[20], label=1)"),
    md("MNIST 테스트 정확도가 크게 떨어지지 않았는지도 확인합니다.", "And check MNIST's test accuracy did not drop much."),
    code("_, (x_test, y_test) = mnist.load_data()\nm = 1000 if SMALL else 10000\n"
         "print(f\"MNIST test: {(model.predict(x_test[:m].reshape(m, 784) / 255).argmax(1) == y_test[:m]).mean():.4f}\")\n"
         "model.save('my_model.safetensors')  # digitlab predict --model my_model.safetensors ..."),
])
