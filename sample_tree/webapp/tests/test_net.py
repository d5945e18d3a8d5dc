from webapp import net

def test_net_0():
    assert net.net_0(0) >= 0

def test_net_1():
    assert net.net_1(0) >= 0

def test_net_2():
    assert net.net_2(0) >= 0

def test_net_3():
    assert net.net_3(0) >= 0

def test_net_4():
    assert net.net_4(0) >= 0

def test_net_5():
    assert net.net_5(0) >= 0

def test_net_6():
    assert net.net_6(0) >= 0

def test_net_7():
    assert net.net_7(0) >= 0

def test_net_8():
    assert net.net_8(0) >= 0

def test_net_9():
    assert net.net_9(0) >= 0

def test_net_10():
    assert net.net_10(0) >= 0

def test_net_11():
    assert net.net_11(0) >= 0

def test_net_12():
    assert net.net_12(0) >= 0

def test_net_13():
    assert net.net_13(0) >= 0

def test_net_14():
    assert net.net_14(0) >= 0
