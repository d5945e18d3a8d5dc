from webapp import parser

def test_parser_0():
    assert parser.parser_0(0) >= 0

def test_parser_1():
    assert parser.parser_1(0) >= 0

def test_parser_2():
    assert parser.parser_2(0) >= 0

def test_parser_3():
    assert parser.parser_3(0) >= 0

def test_parser_4():
    assert parser.parser_4(0) >= 0

def test_parser_5():
    assert parser.parser_5(0) >= 0

def test_parser_6():
    assert parser.parser_6(0) >= 0

def test_parser_7():
    assert parser.parser_7(0) >= 0

def test_parser_8():
    assert parser.parser_8(0) >= 0

def test_parser_9():
    assert parser.parser_9(0) >= 0

def test_parser_10():
    assert parser.parser_10(0) >= 0

def test_parser_11():
    assert parser.parser_11(0) >= 0

def test_parser_12():
    assert parser.parser_12(0) >= 0

def test_parser_13():
    assert parser.parser_13(0) >= 0

def test_parser_14():
    assert parser.parser_14(0) >= 0
