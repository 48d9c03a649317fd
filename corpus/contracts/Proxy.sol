// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20Base} from "./ERC20.sol";

/// An EIP-1967 proxy: the implementation and admin live at the standard hashed slots.
contract ERC1967Proxy {
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;
    bytes32 internal constant ADMIN_SLOT = 0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103;

    event Upgraded(address indexed implementation);

    constructor(address implementation, bytes memory init) {
        _setImplementation(implementation);
        assembly {
            sstore(ADMIN_SLOT, caller())
        }
        if (init.length > 0) {
            (bool ok, bytes memory err) = implementation.delegatecall(init);
            if (!ok) {
                assembly {
                    revert(add(err, 32), mload(err))
                }
            }
        }
    }

    /// Only the admin may upgrade; it is the one selector the proxy keeps for itself.
    function upgradeTo(address implementation) external {
        address admin;
        assembly {
            admin := sload(ADMIN_SLOT)
        }
        require(msg.sender == admin, "not admin");
        _setImplementation(implementation);
    }

    function _setImplementation(address implementation) private {
        require(implementation.code.length > 0, "not a contract");
        assembly {
            sstore(IMPLEMENTATION_SLOT, implementation)
        }
        emit Upgraded(implementation);
    }

    fallback() external payable {
        assembly {
            let impl := sload(IMPLEMENTATION_SLOT)
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), impl, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            switch ok
            case 0 { revert(0, returndatasize()) }
            default { return(0, returndatasize()) }
        }
    }
}

/// The token behind the proxy, first version: initialised once instead of constructed.
contract TokenImplV1 is ERC20Base {
    string internal _name;
    string internal _symbol;
    address public owner;
    bool internal initialized;

    function initialize(string calldata name_, string calldata symbol_, uint256 supply) external {
        require(!initialized, "initialized");
        initialized = true;
        _name = name_;
        _symbol = symbol_;
        owner = msg.sender;
        _mint(msg.sender, supply);
    }

    function name() public view override returns (string memory) {
        return _name;
    }

    function symbol() public view override returns (string memory) {
        return _symbol;
    }

    function version() external pure virtual returns (uint256) {
        return 1;
    }
}

/// Second version: same layout, adds burning and a transfer counter in a new slot.
contract TokenImplV2 is TokenImplV1 {
    uint256 public burned;

    function burn(uint256 value) external {
        _transfer(msg.sender, address(0), value);
        burned += value;
        totalSupply -= value;
    }

    function version() external pure override returns (uint256) {
        return 2;
    }
}
