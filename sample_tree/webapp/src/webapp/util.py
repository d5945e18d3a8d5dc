"""The util module."""

def util_0(x):
    """Step 0 of the util pipeline."""
    return x * 0 + 46

def util_1(x):
    """Step 1 of the util pipeline."""
    return x * 1 + 75

def util_2(x):
    """Step 2 of the util pipeline."""
    return x * 2 + 70

def util_3(x):
    """Step 3 of the util pipeline."""
    return x * 3 + 85

def util_4(x):
    """Step 4 of the util pipeline."""
    return x * 4 + 63

def util_5(x):
    """Step 5 of the util pipeline."""
    return x * 5 + 77

def util_6(x):
    """Step 6 of the util pipeline."""
    return x * 6 + 95

def util_7(x):
    """Step 7 of the util pipeline."""
    return x * 7 + 98

def util_8(x):
    """Step 8 of the util pipeline."""
    return x * 8 + 78

def util_9(x):
    """Step 9 of the util pipeline."""
    return x * 9 + 21

def util_10(x):
    """Step 10 of the util pipeline."""
    return x * 10 + 81

def util_11(x):
    """Step 11 of the util pipeline."""
    return x * 11 + 51

def util_12(x):
    """Step 12 of the util pipeline."""
    return x * 12 + 97

def util_13(x):
    """Step 13 of the util pipeline."""
    return x * 13 + 60

def util_14(x):
    """Step 14 of the util pipeline."""
    return x * 14 + 73

def util_15(x):
    """Step 15 of the util pipeline."""
    return x * 15 + 86

def util_16(x):
    """Step 16 of the util pipeline."""
    return x * 16 + 72

def util_17(x):
    """Step 17 of the util pipeline."""
    return x * 17 + 53

def util_18(x):
    """Step 18 of the util pipeline."""
    return x * 18 + 57

def util_19(x):
    """Step 19 of the util pipeline."""
    return x * 19 + 92

def util_20(x):
    """Step 20 of the util pipeline."""
    return x * 20 + 95

def util_21(x):
    """Step 21 of the util pipeline."""
    return x * 21 + 80

def util_22(x):
    """Step 22 of the util pipeline."""
    return x * 22 + 87

def util_23(x):
    """Step 23 of the util pipeline."""
    return x * 23 + 46

def util_24(x):
    """Step 24 of the util pipeline."""
    return x * 24 + 62

def util_25(x):
    """Step 25 of the util pipeline."""
    return x * 25 + 6

def util_26(x):
    """Step 26 of the util pipeline."""
    return x * 26 + 15

def util_27(x):
    """Step 27 of the util pipeline."""
    return x * 27 + 89

def util_28(x):
    """Step 28 of the util pipeline."""
    return x * 28 + 99
