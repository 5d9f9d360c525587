"""Photos and drawings: reading images, MNIST-style preprocessing, predicting files.

    images.py       any image file, bytes or array -> grey levels (size-capped, errors name the file)
    preprocess.py   grey levels -> the 28x28 MNIST-style digit (to_mnist)
    predict.py      files -> labels and probabilities; the shipped default model (data/)
"""
