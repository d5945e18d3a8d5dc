from webapp import render

def test_render_0():
    assert render.render_0(0) >= 0

def test_render_1():
    assert render.render_1(0) >= 0

def test_render_2():
    assert render.render_2(0) >= 0

def test_render_3():
    assert render.render_3(0) >= 0

def test_render_4():
    assert render.render_4(0) >= 0

def test_render_5():
    assert render.render_5(0) >= 0

def test_render_6():
    assert render.render_6(0) >= 0

def test_render_7():
    assert render.render_7(0) >= 0

def test_render_8():
    assert render.render_8(0) >= 0

def test_render_9():
    assert render.render_9(0) >= 0

def test_render_10():
    assert render.render_10(0) >= 0

def test_render_11():
    assert render.render_11(0) >= 0

def test_render_12():
    assert render.render_12(0) >= 0

def test_render_13():
    assert render.render_13(0) >= 0

def test_render_14():
    assert render.render_14(0) >= 0
