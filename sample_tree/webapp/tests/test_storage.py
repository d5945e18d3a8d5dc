from webapp import storage

def test_storage_0():
    assert storage.storage_0(0) >= 0

def test_storage_1():
    assert storage.storage_1(0) >= 0

def test_storage_2():
    assert storage.storage_2(0) >= 0

def test_storage_3():
    assert storage.storage_3(0) >= 0

def test_storage_4():
    assert storage.storage_4(0) >= 0

def test_storage_5():
    assert storage.storage_5(0) >= 0

def test_storage_6():
    assert storage.storage_6(0) >= 0

def test_storage_7():
    assert storage.storage_7(0) >= 0

def test_storage_8():
    assert storage.storage_8(0) >= 0

def test_storage_9():
    assert storage.storage_9(0) >= 0

def test_storage_10():
    assert storage.storage_10(0) >= 0

def test_storage_11():
    assert storage.storage_11(0) >= 0

def test_storage_12():
    assert storage.storage_12(0) >= 0

def test_storage_13():
    assert storage.storage_13(0) >= 0

def test_storage_14():
    assert storage.storage_14(0) >= 0
