// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

interface IERC20 {
    function balanceOf(address who) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// A constant-product pair (x * y = k, 0.3% fee) with a pool-share token.
contract Pair {
    address public immutable token0;
    address public immutable token1;
    uint112 private reserve0;
    uint112 private reserve1;
    uint32 private lastUpdate;
    uint256 public totalShares;
    mapping(address => uint256) public shares;
    uint256 private unlocked = 1;

    event Mint(address indexed sender, uint256 amount0, uint256 amount1, uint256 minted);
    event Swap(address indexed sender, uint256 in0, uint256 in1, uint256 out0, uint256 out1, address indexed to);
    event Sync(uint112 reserve0, uint112 reserve1);

    modifier lock() {
        require(unlocked == 1, "locked");
        unlocked = 0;
        _;
        unlocked = 1;
    }

    constructor(address a, address b) {
        (token0, token1) = a < b ? (a, b) : (b, a);
    }

    function getReserves() public view returns (uint112, uint112, uint32) {
        return (reserve0, reserve1, lastUpdate);
    }

    /// Credits shares for whatever was sent in since the last sync.
    function mint(address to) external lock returns (uint256 minted) {
        uint256 b0 = IERC20(token0).balanceOf(address(this));
        uint256 b1 = IERC20(token1).balanceOf(address(this));
        uint256 a0 = b0 - reserve0;
        uint256 a1 = b1 - reserve1;
        if (totalShares == 0) {
            minted = sqrt(a0 * a1);
        } else {
            uint256 m0 = a0 * totalShares / reserve0;
            uint256 m1 = a1 * totalShares / reserve1;
            minted = m0 < m1 ? m0 : m1;
        }
        require(minted > 0, "no liquidity");
        totalShares += minted;
        shares[to] += minted;
        _update(b0, b1);
        emit Mint(msg.sender, a0, a1, minted);
    }

    /// Sends the outputs first, then checks the invariant on what was paid in.
    function swap(uint256 out0, uint256 out1, address to) external lock {
        require(out0 > 0 || out1 > 0, "no output");
        require(out0 < reserve0 && out1 < reserve1, "no liquidity");
        if (out0 > 0) IERC20(token0).transfer(to, out0);
        if (out1 > 0) IERC20(token1).transfer(to, out1);
        uint256 b0 = IERC20(token0).balanceOf(address(this));
        uint256 b1 = IERC20(token1).balanceOf(address(this));
        uint256 in0 = b0 > reserve0 - out0 ? b0 - (reserve0 - out0) : 0;
        uint256 in1 = b1 > reserve1 - out1 ? b1 - (reserve1 - out1) : 0;
        require(in0 > 0 || in1 > 0, "no input");
        uint256 adj0 = b0 * 1000 - in0 * 3;
        uint256 adj1 = b1 * 1000 - in1 * 3;
        require(adj0 * adj1 >= uint256(reserve0) * reserve1 * 1_000_000, "k");
        _update(b0, b1);
        emit Swap(msg.sender, in0, in1, out0, out1, to);
    }

    function _update(uint256 b0, uint256 b1) private {
        reserve0 = uint112(b0);
        reserve1 = uint112(b1);
        lastUpdate = uint32(block.timestamp);
        emit Sync(reserve0, reserve1);
    }

    function sqrt(uint256 y) private pure returns (uint256 z) {
        if (y > 3) {
            z = y;
            uint256 x = y / 2 + 1;
            while (x < z) {
                z = x;
                x = (y / x + x) / 2;
            }
        } else if (y != 0) {
            z = 1;
        }
    }
}

/// Moves the caller's tokens into pairs and swaps along a path of pairs.
contract Router {
    error Slippage(uint256 out, uint256 minOut);

    function quote(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) public pure returns (uint256) {
        uint256 withFee = amountIn * 997;
        return withFee * reserveOut / (reserveIn * 1000 + withFee);
    }

    function addLiquidity(Pair pair, uint256 amount0, uint256 amount1, address to) external returns (uint256) {
        IERC20(pair.token0()).transferFrom(msg.sender, address(pair), amount0);
        IERC20(pair.token1()).transferFrom(msg.sender, address(pair), amount1);
        return pair.mint(to);
    }

    /// Swaps `amountIn` of `tokenIn` through `pairs` in order; the last output goes to `to`.
    function swapExactIn(Pair[] calldata pairs, address tokenIn, uint256 amountIn, uint256 minOut, address to)
        external
        returns (uint256 amount)
    {
        IERC20(tokenIn).transferFrom(msg.sender, address(pairs[0]), amountIn);
        amount = amountIn;
        for (uint256 i = 0; i < pairs.length; i++) {
            Pair pair = pairs[i];
            (uint112 r0, uint112 r1,) = pair.getReserves();
            bool zeroIn = tokenIn == pair.token0();
            amount = zeroIn ? quote(amount, r0, r1) : quote(amount, r1, r0);
            address next = i + 1 < pairs.length ? address(pairs[i + 1]) : to;
            if (zeroIn) {
                pair.swap(0, amount, next);
                tokenIn = pair.token1();
            } else {
                pair.swap(amount, 0, next);
                tokenIn = pair.token0();
            }
        }
        if (amount < minOut) revert Slippage(amount, minOut);
    }
}
