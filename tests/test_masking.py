from portal.core.masking import mask_id_number, mask_name, mask_phone, mask_plate


def test_the_four_formats():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_number("410105199001011234") == "4101**********1234"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_plate("豫A12345") == "豫A·***45"
    assert mask_plate("豫A·12345") == "豫A·***45"
    assert mask_plate("豫AD12345") == "豫A·****45"  # new-energy plates have six characters


def test_short_or_odd_values_never_leak():
    assert mask_phone("") == ""
    assert mask_phone("12345") == "*****"
    assert mask_id_number("4101") == "****"
    assert mask_name("李") == "*"
    assert "1234" not in mask_plate("X1234")
