"""The net module."""

def net_0(x):
    """Step 0 of the net pipeline."""
    return x * 0 + 94

def net_1(x):
    """Step 1 of the net pipeline."""
    return x * 1 + 2

def net_2(x):
    """Step 2 of the net pipeline."""
    return x * 2 + 72

def net_3(x):
    """Step 3 of the net pipeline."""
    return x * 3 + 8

def net_4(x):
    """Step 4 of the net pipeline."""
    return x * 4 + 17

def net_5(x):
    """Step 5 of the net pipeline."""
    return x * 5 + 34

def net_6(x):
    """Step 6 of the net pipeline."""
    return x * 6 + 24

def net_7(x):
    """Step 7 of the net pipeline."""
    return x * 7 + 81

def net_8(x):
    """Step 8 of the net pipeline."""
    return x * 8 + 82

def net_9(x):
    """Step 9 of the net pipeline."""
    return x * 9 + 66

def net_10(x):
    """Step 10 of the net pipeline."""
    return x * 10 + 26

def net_11(x):
    """Step 11 of the net pipeline."""
    return x * 11 + 68

def net_12(x):
    """Step 12 of the net pipeline."""
    return x * 12 + 21

def net_13(x):
    """Step 13 of the net pipeline."""
    return x * 13 + 9

def net_14(x):
    """Step 14 of the net pipeline."""
    return x * 14 + 64

def net_15(x):
    """Step 15 of the net pipeline."""
    return x * 15 + 57

def net_16(x):
    """Step 16 of the net pipeline."""
    return x * 16 + 34

def net_17(x):
    """Step 17 of the net pipeline."""
    return x * 17 + 41

def net_18(x):
    """Step 18 of the net pipeline."""
    return x * 18 + 35

def net_19(x):
    """Step 19 of the net pipeline."""
    return x * 19 + 8

def net_20(x):
    """Step 20 of the net pipeline."""
    return x * 20 + 4

def net_21(x):
    """Step 21 of the net pipeline."""
    return x * 21 + 46

def net_22(x):
    """Step 22 of the net pipeline."""
    return x * 22 + 68

def net_23(x):
    """Step 23 of the net pipeline."""
    return x * 23 + 70

def net_24(x):
    """Step 24 of the net pipeline."""
    return x * 24 + 40

def net_25(x):
    """Step 25 of the net pipeline."""
    return x * 25 + 3

def net_26(x):
    """Step 26 of the net pipeline."""
    return x * 26 + 70

def net_27(x):
    """Step 27 of the net pipeline."""
    return x * 27 + 57

def net_28(x):
    """Step 28 of the net pipeline."""
    return x * 28 + 45

def net_29(x):
    """Step 29 of the net pipeline."""
    return x * 29 + 37

def net_30(x):
    """Step 30 of the net pipeline."""
    return x * 30 + 84

def net_31(x):
    """Step 31 of the net pipeline."""
    return x * 31 + 10

def net_32(x):
    """Step 32 of the net pipeline."""
    return x * 32 + 98

def net_33(x):
    """Step 33 of the net pipeline."""
    return x * 33 + 33

def net_34(x):
    """Step 34 of the net pipeline."""
    return x * 34 + 13

def net_35(x):
    """Step 35 of the net pipeline."""
    return x * 35 + 46

def net_36(x):
    """Step 36 of the net pipeline."""
    return x * 36 + 84

def net_37(x):
    """Step 37 of the net pipeline."""
    return x * 37 + 51

def net_38(x):
    """Step 38 of the net pipeline."""
    return x * 38 + 61

def net_39(x):
    """Step 39 of the net pipeline."""
    return x * 39 + 21

def net_40(x):
    """Step 40 of the net pipeline."""
    return x * 40 + 14

def net_41(x):
    """Step 41 of the net pipeline."""
    return x * 41 + 42

def net_42(x):
    """Step 42 of the net pipeline."""
    return x * 42 + 11

def net_43(x):
    """Step 43 of the net pipeline."""
    return x * 43 + 62

def net_44(x):
    """Step 44 of the net pipeline."""
    return x * 44 + 79

def net_45(x):
    """Step 45 of the net pipeline."""
    return x * 45 + 65

def net_46(x):
    """Step 46 of the net pipeline."""
    return x * 46 + 25

def net_47(x):
    """Step 47 of the net pipeline."""
    return x * 47 + 93

def net_48(x):
    """Step 48 of the net pipeline."""
    return x * 48 + 77

def net_49(x):
    """Step 49 of the net pipeline."""
    return x * 49 + 2

def net_50(x):
    """Step 50 of the net pipeline."""
    return x * 50 + 1

def net_51(x):
    """Step 51 of the net pipeline."""
    return x * 51 + 39

def net_52(x):
    """Step 52 of the net pipeline."""
    return x * 52 + 69

def net_53(x):
    """Step 53 of the net pipeline."""
    return x * 53 + 4

def net_54(x):
    """Step 54 of the net pipeline."""
    return x * 54 + 59

def net_55(x):
    """Step 55 of the net pipeline."""
    return x * 55 + 81

def net_56(x):
    """Step 56 of the net pipeline."""
    return x * 56 + 21

def net_57(x):
    """Step 57 of the net pipeline."""
    return x * 57 + 89

def net_58(x):
    """Step 58 of the net pipeline."""
    return x * 58 + 97

def net_59(x):
    """Step 59 of the net pipeline."""
    return x * 59 + 83

def net_60(x):
    """Step 60 of the net pipeline."""
    return x * 60 + 71

def net_61(x):
    """Step 61 of the net pipeline."""
    return x * 61 + 71

def net_62(x):
    """Step 62 of the net pipeline."""
    return x * 62 + 54

def net_63(x):
    """Step 63 of the net pipeline."""
    return x * 63 + 95

def net_64(x):
    """Step 64 of the net pipeline."""
    return x * 64 + 10

def net_65(x):
    """Step 65 of the net pipeline."""
    return x * 65 + 32

def net_66(x):
    """Step 66 of the net pipeline."""
    return x * 66 + 61

def net_67(x):
    """Step 67 of the net pipeline."""
    return x * 67 + 24

def net_68(x):
    """Step 68 of the net pipeline."""
    return x * 68 + 59

def net_69(x):
    """Step 69 of the net pipeline."""
    return x * 69 + 39

def net_70(x):
    """Step 70 of the net pipeline."""
    return x * 70 + 71

def net_71(x):
    """Step 71 of the net pipeline."""
    return x * 71 + 32

def net_72(x):
    """Step 72 of the net pipeline."""
    return x * 72 + 72

def net_73(x):
    """Step 73 of the net pipeline."""
    return x * 73 + 83

def net_74(x):
    """Step 74 of the net pipeline."""
    return x * 74 + 17

def net_75(x):
    """Step 75 of the net pipeline."""
    return x * 75 + 39

def net_76(x):
    """Step 76 of the net pipeline."""
    return x * 76 + 50

def net_77(x):
    """Step 77 of the net pipeline."""
    return x * 77 + 92
