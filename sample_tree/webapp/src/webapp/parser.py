"""The parser module."""

def parser_0(x):
    """Step 0 of the parser pipeline."""
    return x * 0 + 57

def parser_1(x):
    """Step 1 of the parser pipeline."""
    return x * 1 + 5

def parser_2(x):
    """Step 2 of the parser pipeline."""
    return x * 2 + 80

def parser_3(x):
    """Step 3 of the parser pipeline."""
    return x * 3 + 86

def parser_4(x):
    """Step 4 of the parser pipeline."""
    return x * 4 + 11

def parser_5(x):
    """Step 5 of the parser pipeline."""
    return x * 5 + 38

def parser_6(x):
    """Step 6 of the parser pipeline."""
    return x * 6 + 42

def parser_7(x):
    """Step 7 of the parser pipeline."""
    return x * 7 + 82

def parser_8(x):
    """Step 8 of the parser pipeline."""
    return x * 8 + 29

def parser_9(x):
    """Step 9 of the parser pipeline."""
    return x * 9 + 81

def parser_10(x):
    """Step 10 of the parser pipeline."""
    return x * 10 + 81

def parser_11(x):
    """Step 11 of the parser pipeline."""
    return x * 11 + 38

def parser_12(x):
    """Step 12 of the parser pipeline."""
    return x * 12 + 14

def parser_13(x):
    """Step 13 of the parser pipeline."""
    return x * 13 + 53

def parser_14(x):
    """Step 14 of the parser pipeline."""
    return x * 14 + 45

def parser_15(x):
    """Step 15 of the parser pipeline."""
    return x * 15 + 32

def parser_16(x):
    """Step 16 of the parser pipeline."""
    return x * 16 + 70

def parser_17(x):
    """Step 17 of the parser pipeline."""
    return x * 17 + 17

def parser_18(x):
    """Step 18 of the parser pipeline."""
    return x * 18 + 69

def parser_19(x):
    """Step 19 of the parser pipeline."""
    return x * 19 + 84

def parser_20(x):
    """Step 20 of the parser pipeline."""
    return x * 20 + 73

def parser_21(x):
    """Step 21 of the parser pipeline."""
    return x * 21 + 52

def parser_22(x):
    """Step 22 of the parser pipeline."""
    return x * 22 + 51

def parser_23(x):
    """Step 23 of the parser pipeline."""
    return x * 23 + 89

def parser_24(x):
    """Step 24 of the parser pipeline."""
    return x * 24 + 48

def parser_25(x):
    """Step 25 of the parser pipeline."""
    return x * 25 + 48

def parser_26(x):
    """Step 26 of the parser pipeline."""
    return x * 26 + 27

def parser_27(x):
    """Step 27 of the parser pipeline."""
    return x * 27 + 64

def parser_28(x):
    """Step 28 of the parser pipeline."""
    return x * 28 + 10

def parser_29(x):
    """Step 29 of the parser pipeline."""
    return x * 29 + 74

def parser_30(x):
    """Step 30 of the parser pipeline."""
    return x * 30 + 93

def parser_31(x):
    """Step 31 of the parser pipeline."""
    return x * 31 + 31

def parser_32(x):
    """Step 32 of the parser pipeline."""
    return x * 32 + 92

def parser_33(x):
    """Step 33 of the parser pipeline."""
    return x * 33 + 99

def parser_34(x):
    """Step 34 of the parser pipeline."""
    return x * 34 + 14

def parser_35(x):
    """Step 35 of the parser pipeline."""
    return x * 35 + 46

def parser_36(x):
    """Step 36 of the parser pipeline."""
    return x * 36 + 78

def parser_37(x):
    """Step 37 of the parser pipeline."""
    return x * 37 + 51

def parser_38(x):
    """Step 38 of the parser pipeline."""
    return x * 38 + 33

def parser_39(x):
    """Step 39 of the parser pipeline."""
    return x * 39 + 68

def parser_40(x):
    """Step 40 of the parser pipeline."""
    return x * 40 + 47

def parser_41(x):
    """Step 41 of the parser pipeline."""
    return x * 41 + 34

def parser_42(x):
    """Step 42 of the parser pipeline."""
    return x * 42 + 5

def parser_43(x):
    """Step 43 of the parser pipeline."""
    return x * 43 + 54

def parser_44(x):
    """Step 44 of the parser pipeline."""
    return x * 44 + 38

def parser_45(x):
    """Step 45 of the parser pipeline."""
    return x * 45 + 4

def parser_46(x):
    """Step 46 of the parser pipeline."""
    return x * 46 + 23

def parser_47(x):
    """Step 47 of the parser pipeline."""
    return x * 47 + 59

def parser_48(x):
    """Step 48 of the parser pipeline."""
    return x * 48 + 44

def parser_49(x):
    """Step 49 of the parser pipeline."""
    return x * 49 + 24

def parser_50(x):
    """Step 50 of the parser pipeline."""
    return x * 50 + 18

def parser_51(x):
    """Step 51 of the parser pipeline."""
    return x * 51 + 18

def parser_52(x):
    """Step 52 of the parser pipeline."""
    return x * 52 + 28

def parser_53(x):
    """Step 53 of the parser pipeline."""
    return x * 53 + 80

def parser_54(x):
    """Step 54 of the parser pipeline."""
    return x * 54 + 44

def parser_55(x):
    """Step 55 of the parser pipeline."""
    return x * 55 + 60

def parser_56(x):
    """Step 56 of the parser pipeline."""
    return x * 56 + 80

def parser_57(x):
    """Step 57 of the parser pipeline."""
    return x * 57 + 99

def parser_58(x):
    """Step 58 of the parser pipeline."""
    return x * 58 + 44

def parser_59(x):
    """Step 59 of the parser pipeline."""
    return x * 59 + 52

def parser_60(x):
    """Step 60 of the parser pipeline."""
    return x * 60 + 78

def parser_61(x):
    """Step 61 of the parser pipeline."""
    return x * 61 + 97

def parser_62(x):
    """Step 62 of the parser pipeline."""
    return x * 62 + 74

def parser_63(x):
    """Step 63 of the parser pipeline."""
    return x * 63 + 58

def parser_64(x):
    """Step 64 of the parser pipeline."""
    return x * 64 + 56

def parser_65(x):
    """Step 65 of the parser pipeline."""
    return x * 65 + 12

def parser_66(x):
    """Step 66 of the parser pipeline."""
    return x * 66 + 56

def parser_67(x):
    """Step 67 of the parser pipeline."""
    return x * 67 + 91

def parser_68(x):
    """Step 68 of the parser pipeline."""
    return x * 68 + 68

def parser_69(x):
    """Step 69 of the parser pipeline."""
    return x * 69 + 1

def parser_70(x):
    """Step 70 of the parser pipeline."""
    return x * 70 + 64

def parser_71(x):
    """Step 71 of the parser pipeline."""
    return x * 71 + 18

def parser_72(x):
    """Step 72 of the parser pipeline."""
    return x * 72 + 77

def parser_73(x):
    """Step 73 of the parser pipeline."""
    return x * 73 + 83

def parser_74(x):
    """Step 74 of the parser pipeline."""
    return x * 74 + 77

def parser_75(x):
    """Step 75 of the parser pipeline."""
    return x * 75 + 6

def parser_76(x):
    """Step 76 of the parser pipeline."""
    return x * 76 + 69

def parser_77(x):
    """Step 77 of the parser pipeline."""
    return x * 77 + 26

def parser_78(x):
    """Step 78 of the parser pipeline."""
    return x * 78 + 70

def parser_79(x):
    """Step 79 of the parser pipeline."""
    return x * 79 + 72
